/**
 * dbfleet's online switchover against MHA 0.58's online switch, side by side (issue 11, item 3):
 * one MariaDB sandbox cluster (a master and two readers), one client writing every 2 ms to
 * whichever instance accepts writes (bench/lib/follow-writer.ts: no DNS, the same for both tools),
 * and the two tools alternating, each moving the master on to the next instance
 * (i1 -> i2 -> i3 -> i1 ...), BENCH_SWITCHES times each (12 by default, at least 10 asked).
 *
 * The figure, the same for both: the client-visible write block, from the last write the old
 * master acknowledged to the first write the new master acknowledged, as the writer saw it.
 * After every switch (outside that window) the topology dbfleet expects is checked, and after an
 * MHA switch first restored: MHA re-points by file/position on MariaDB, the bench makes the
 * followers GTID replicas again and moves the writer record (dbfleet's precheck wants it on the
 * master). After every switch the new master must hold every write acknowledged so far; at the
 * end the final master must hold all of them. MHA gets its best case: an online-change script
 * that only sets read_only=1 on the orig master.
 *
 * MariaDB only: MHA 0.58 runs SHOW SLAVE STATUS and friends, which MySQL 8.4+/9.x removed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/core/logger.js';
import { connectAdmin } from '../src/mysql/connect-admin.js';
import { openSession } from '../src/mysql/mysql2-session.js';
import { sandboxUp } from '../src/sandbox/sandbox-up.js';
import { sandboxDown } from '../src/sandbox/sandbox-down.js';
import { localSandboxDeps } from '../src/sandbox/local-sandbox-deps.js';
import { readPasswords } from '../src/sandbox/sandbox-secrets.js';
import { requireState } from '../src/sandbox/sandbox-state.js';
import { missingWrites } from '../src/failover/meter/lost-writes.js';
import { acquireOrRenew, ensureLeaseTable, releaseLease } from '../src/failover/lease/lease-store.js';
import { onlineSwitchover, type SwitchoverRequest } from '../src/shard/switchover/online-switchover.js';
import { moveWriterRecord } from '../src/shard/switchover/after-promotion.js';
import { engineBinaries, MARIADB_ENGINE } from '../src/shard/mysqld/mysqld-engine.js';
import { FollowWriter, type Ack } from './lib/follow-writer.js';
import { checkGtidTopology, regtid, type Member } from './lib/gtid-followers.js';
import { ensureMha, mhaRunProblems, mhaSwitch, patchedMhaLib, writeMhaFiles } from './lib/mha.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 12);
if (!Number.isInteger(SWITCHES) || SWITCHES < 1) throw new Error(`BENCH_SWITCHES must be a positive integer (switches per tool), got ${process.env.BENCH_SWITCHES}`);
const INTERVAL_MS = 2;
const logger = createLogger({ level: 'warn' });
const deps = localSandboxDeps(logger);
const say = (line: string): void => void process.stdout.write(`  ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Tool = 'dbfleet' | 'mha';

interface SwitchSample {
  n: number;
  tool: Tool;
  from: string;
  to: string;
  /** Client-visible: last ack by the old master -> first ack by the new master (ms). */
  blockMs: number;
  /** Writes the new master lacked right after this switch (acknowledged before it). */
  lostAfter: number;
  /** dbfleet: its report's writeBlockedMs (read_only on the old master -> the new master writable). */
  executorBlockedMs?: number;
  /** dbfleet: its phases (name -> ms), as `shard switchover --json` prints them. */
  phases?: Record<string, number>;
  /** MHA: the whole masterha_master_switch process, ms (checks, the switch, the slaves). */
  processMs?: number;
  /** MHA: followers the bench made GTID replicas again afterwards. */
  regtid?: string[];
}

/** The block of one switch, from the writer's acknowledgements from index `from` on. */
function clientBlock(acks: readonly Ack[], from: number, oldId: string, newId: string): number {
  const tail = acks.slice(from);
  const firstNew = tail.findIndex((a) => a.id === newId);
  if (firstNew < 0) throw new Error(`no write acknowledged by ${newId} yet`);
  let lastOld: Ack | undefined;
  for (let i = firstNew - 1; i >= 0; i--) {
    if (tail[i]!.id === oldId) {
      lastOld = tail[i];
      break;
    }
  }
  if (!lastOld) throw new Error(`no write acknowledged by ${oldId} before the first one on ${newId} (start the measurement earlier)`);
  return round(tail[firstNew]!.at - lastOld.at);
}

async function run(): Promise<void> {
  const mha = ensureMha(say);
  say(`MHA: mha4mysql-manager ${mha.manager}, mha4mysql-node ${mha.node}`);
  const base = await mkdtemp(join(tmpdir(), 'dbf-bench-mha-'));
  const dir = join(base, 's');
  const mhaDir = join(base, 'mha');
  let writer: FollowWriter | undefined;
  try {
    const lib = await patchedMhaLib(join(mhaDir, 'perl5'));
    await sandboxUp(deps, { dir, clusters: 1, readers: 2, engine: MARIADB_ENGINE });
    const state = await requireState(dir);
    const pw = await readPasswords(deps.host, dir);
    const cluster = state.clusters[0]!;
    const members: Member[] = cluster.instances.map((i) => ({ id: i.id, host: i.host, port: i.port }));
    if (cluster.instances[0]!.role !== 'writer' || members.length !== 3) throw new Error('expected a sandbox cluster of a writer and two readers, writer first');
    const version = cluster.instances[0]!.version ?? 'unknown';
    const admin = { user: 'dbfleet', password: pw.dbfleet };
    const repl = { user: 'repl', password: pw.repl };
    const files = await writeMhaFiles({ dir: mhaDir, servers: members, admin, repl, client: engineBinaries(MARIADB_ENGINE).client });
    const dnsEndpoint = { host: state.dnsDb.host, port: 3306, user: 'dbfleet', password: pw.dbfleet, database: 'mydns' };
    const openDns = (): ReturnType<typeof openSession> => openSession(dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    const swDeps = { connect: connectAdmin, openDns, logger, actor: 'bench' };
    const followerDeps = { connect: connectAdmin, admin, repl };
    const request = (master: Member, candidate: Member, other: Member): SwitchoverRequest => ({
      shard: cluster.name,
      writerName: cluster.writer_record,
      readerName: cluster.reader_record,
      zone: state.dns.zone,
      master,
      candidate,
      replicas: [other],
      admin,
      repl,
      appUsers: ['app'],
    });

    const loadBefore = loadavg().map((l) => round(l));
    const client = `bench-mha-${process.pid}-${randomBytes(3).toString('hex')}`;
    writer = new FollowWriter({ targets: members, account: { user: 'app', password: pw.app, database: 'app', table: 'writes' }, client, intervalMs: INTERVAL_MS, timeouts: { connectTimeoutMs: 300, queryTimeoutMs: 1_000 }, openSession });
    writer.start();
    await writer.waitForAckOn(members[0]!.id, 0, 5_000);
    await sleep(500);

    const samples: SwitchSample[] = [];
    const lostBy = new Map<number, Tool>();
    const switchStarts: { tool: Tool; at: number }[] = [];
    for (let k = 0; k < 2 * SWITCHES; k++) {
      const tool: Tool = k % 2 === 0 ? 'dbfleet' : 'mha';
      const master = members[k % 3]!;
      const to = members[(k + 1) % 3]!;
      const other = members[(k + 2) % 3]!;
      const from = writer.acks.length;
      switchStarts.push({ tool, at: performance.now() });
      const sample: SwitchSample = { n: k + 1, tool, from: master.id, to: to.id, blockMs: 0, lostAfter: 0 };
      if (tool === 'dbfleet') {
        const report = await onlineSwitchover(request(master, to, other), swDeps);
        sample.executorBlockedMs = report.writeBlockedMs;
        sample.phases = Object.fromEntries(report.phases.map((p) => [p.phase, p.ms]));
      } else {
        const r = await mhaSwitch(files, lib.perl5lib, to);
        if (r.exitCode !== 0) throw new Error(`masterha_master_switch to ${to.id} exited ${r.exitCode}:\n${r.output.split('\n').slice(-40).join('\n')}`);
        const problems = mhaRunProblems(r.output, to);
        if (problems.length > 0) throw new Error(`masterha_master_switch to ${to.id} exited 0 but ${problems.join('; ')}:\n${r.output.split('\n').slice(-40).join('\n')}`);
        if (k === 1) process.stdout.write(`  -- MHA's output of its first switch --\n${r.output.replace(/^/gm, '  | ')}\n`);
        sample.processMs = r.ms;
        // outside the window: the shape dbfleet's next switch expects
        sample.regtid = await regtid(followerDeps, to, [master, other]);
        await moveRecordAfterMha(request(master, to, other), swDeps);
      }
      await writer.waitForAckOn(to.id, from, 10_000);
      sample.blockMs = clientBlock(writer.acks, from, master.id, to.id);
      await checkGtidTopology(followerDeps, to, [master, other]);
      // every write acknowledged so far is on the new master
      const acked = writer.acknowledged();
      const missing = await missingWrites(openSession, { host: to.host, port: to.port, user: 'app', password: pw.app, database: 'app' }, 'writes', client, acked);
      for (const seq of missing) if (!lostBy.has(seq)) lostBy.set(seq, tool);
      sample.lostAfter = missing.length;
      samples.push(sample);
      say(`${String(k + 1).padStart(2)} ${tool.padEnd(7)} ${master.id} -> ${to.id}: client-visible write block ${sample.blockMs} ms${sample.executorBlockedMs !== undefined ? ` (executor ${sample.executorBlockedMs} ms)` : ` (MHA process ${sample.processMs} ms${sample.regtid?.length ? `; re-pointed by GTID: ${sample.regtid.join(', ')}` : ''})`}; missing on new master: ${missing.length}`);
      await sleep(300);
    }

    await writer.close();
    const finalMaster = members[(2 * SWITCHES) % 3]!;
    const acknowledged = writer.acknowledged();
    const finalMissing = await missingWrites(openSession, { host: finalMaster.host, port: finalMaster.port, user: 'app', password: pw.app, database: 'app' }, 'writes', client, acknowledged);
    // context for final-position (BINLOG_GTID_POS scans the current binlog file): its size at the end
    const currentBinlogMb = await connectAdmin({ host: finalMaster.host, port: finalMaster.port, ...admin }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 }).then(async (a) => {
      try {
        const rows = await a.session.query('SHOW BINARY LOGS');
        return round(Number(rows[rows.length - 1]?.['File_size'] ?? Number.NaN) / 2 ** 20);
      } finally {
        await a.close();
      }
    });
    const ackAt = new Map(writer.acks.map((a) => [a.seq, a.at]));
    for (const seq of finalMissing) {
      if (lostBy.has(seq)) continue;
      // lost later than the check right after its own switch: blame the first switch after its acknowledgement
      const at = ackAt.get(seq) ?? 0;
      lostBy.set(seq, switchStarts.find((s) => s.at > at)?.tool ?? 'dbfleet');
    }
    const lost = (t: Tool): number => [...lostBy.values()].filter((v) => v === t).length;

    const of = (t: Tool): SwitchSample[] => samples.filter((s) => s.tool === t);
    const dbf = of('dbfleet').map((s) => s.blockMs);
    const mhaBlocks = of('mha').map((s) => s.blockMs);
    const phaseNames = [...new Set(of('dbfleet').flatMap((s) => Object.keys(s.phases ?? {})))];
    const phaseSamples = Object.fromEntries(phaseNames.map((p) => [p, of('dbfleet').map((s) => s.phases?.[p] ?? Number.NaN)]));
    const phaseP50 = Object.fromEntries(Object.entries(phaseSamples).map(([p, v]) => [p, round(median(v))]));
    const executor = of('dbfleet').map((s) => s.executorBlockedMs ?? Number.NaN);
    const mhaProcess = of('mha').map((s) => s.processMs ?? Number.NaN);

    writeResult('switchover-vs-mha', {
      compared_against: `MHA ${mha.manager} masterha_master_switch --master_state=alive --orig_master_is_new_slave (best case), same sandbox, same writer; issue 11 target: ratio_p50 <= 0.5, dbfleet max < 100 ms, 0 lost`,
      runs: SWITCHES,
      metrics: {
        dbfleet_block_ms_p50: round(median(dbf)),
        dbfleet_block_ms_max: round(max(dbf)),
        mha_block_ms_p50: round(median(mhaBlocks)),
        mha_block_ms_max: round(max(mhaBlocks)),
        ratio_p50: round(median(dbf) / median(mhaBlocks), 3),
        dbfleet_lost_writes: lost('dbfleet'),
        mha_lost_writes: lost('mha'),
        final_master_missing_writes: finalMissing.length,
        final_master_current_binlog_mb: currentBinlogMb,
        acknowledged_writes: acknowledged.length,
        failed_write_attempts: writer.failedAttempts,
        dbfleet_executor_write_blocked_ms_p50: round(median(executor)),
        mha_process_ms_p50: round(median(mhaProcess)),
        dbfleet_phase_ms_p50: phaseP50,
      },
      targets: { ratio_p50: '<= 0.5', dbfleet_block_ms_max: '< 100', dbfleet_lost_writes: '0', mha_lost_writes: '0' },
      samples: {
        dbfleet_block_ms: dbf,
        mha_block_ms: mhaBlocks,
        dbfleet_executor_write_blocked_ms: executor,
        mha_process_ms: mhaProcess,
        lost_after_switch: samples.map((s) => s.lostAfter),
        dbfleet_phase_ms: phaseSamples,
      },
      notes: [
        `one MariaDB sandbox cluster (${version}): a master and two readers, GTID replication; the tools alternate (dbfleet first), each moving the master to the next instance (${members.map((m) => m.id).join(' -> ')} -> ...), ${SWITCHES} switches each; sequence: ${samples.map((s) => `${s.n}:${s.tool}:${s.from}->${s.to}:${s.blockMs}`).join(' ')}`,
        `block = client-visible: from the last write the old master acknowledged to the first write the new master acknowledged, as one client writing every ${INTERVAL_MS} ms saw it; the client keeps one connection per instance and writes where its last write went, trying the other instances in turn within the same tick when that one refuses (no DNS for either tool)`,
        'dbfleet: onlineSwitchover (src/shard/switchover/online-switchover.ts, what `dbfleet shard switchover` runs), in-process; dbfleet_executor_write_blocked_ms is its own figure (read_only on the old master -> the new master writable; the writer record moves after), dbfleet_phase_ms its phases as --json reports them',
        `MHA: mha4mysql-manager ${mha.manager} / mha4mysql-node ${mha.node} from Debian, masterha_master_switch --master_state=alive --orig_master_is_new_slave --interactive=0 (default FLUSH TABLES WITH READ LOCK on the orig master), no SSH used; mha_process_ms is the whole process (its checks, the switch, the slaves)`,
        `MHA workaround (never in system files): at bench time /usr/share/perl5/MHA/NodeUtil.pm and MasterRotate.pm were copied into a temporary directory put first on PERL5LIB, patched: ${lib.patches.join('; ')}. NodeUtil: MHA 0.58 dies on MariaDB's version string ("Redundant argument in sprintf at NodeUtil.pm line 195": every number of ${version} went to a 3-field sprintf). MasterRotate: MHA puts both passwords on the online-change script's command line; the copy leaves them off and the script reads a 0600 option file`,
        "MHA best case: master_ip_online_change_script is a /bin/sh script that on --command=stop/stopssh runs one `mariadb -e 'SET GLOBAL read_only = 1'` on the orig master and on --command=start exits 0 (MHA itself sets read_only=0 on the new master); no sleeps, no connection killing",
        "between switches, outside the measured window: after MHA (which re-points by file/position on MariaDB) the old master and the other replica are made GTID replicas of the new master again (MASTER_USE_GTID=slave_pos from their own @@gtid_binlog_pos: changeSourceFromOwnBinlog) and the writer record is moved (dbfleet's precheck wants it on the master); after either tool the bench checks the new master is writable with no replication, both others read-only, replicating from it by GTID and caught up, and that the new master holds every write acknowledged so far",
        'lost writes: acknowledged writes missing from the new master right after a switch are charged to that switch\'s tool; at the end every acknowledged write is looked up on the final master (final_master_missing_writes)',
        `load average (1, 5, 15 min) before the switches ${loadBefore.join(' / ')}, after ${loadavg().map((l) => round(l)).join(' / ')} (2 cores, shared: no CI run at the start, other engineers' processes may have run beside it)`,
        'MHA conf (admin and replication passwords) and the script option file are 0600 files in a 0700 temporary directory, removed afterwards; the bench runs on the loopback addresses of its sandbox slot only',
      ],
    });
  } finally {
    await writer?.close().catch(() => undefined);
    await sandboxDown(deps, dir).catch((e: unknown) => process.stderr.write(`sandbox down failed: ${String(e)}\n`));
    await rm(base, { recursive: true, force: true });
  }
}

/** After an MHA switch: the writer record (and reader weights) follow, as dbfleet's switchover moves them; under its lease. */
async function moveRecordAfterMha(req: SwitchoverRequest, d: { openDns: () => ReturnType<typeof openSession>; connect: typeof connectAdmin; logger: typeof logger; actor: string }): Promise<void> {
  const dns = await d.openDns();
  const q = { timeoutMs: 5_000 };
  const name = `switchover:${req.shard}`;
  const holder = `bench-mha:${process.pid}:${randomBytes(3).toString('hex')}`;
  try {
    await ensureLeaseTable(dns, q);
    const lease = await acquireOrRenew(dns, name, holder, 60_000, q);
    if (!lease.held) throw new Error(`the switchover lease of ${req.shard} is held by ${lease.holder}`);
    try {
      await moveWriterRecord(req, d, dns, q, name, holder, lease.token);
    } finally {
      await releaseLease(dns, name, holder, lease.token, q);
    }
  } finally {
    await dns.close();
  }
}

try {
  await run();
} catch (e) {
  process.stderr.write(`switchover-vs-mha: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
