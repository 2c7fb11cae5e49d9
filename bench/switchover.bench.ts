/**
 * Online switchover under continuous writes, on each engine (bench/lib/engines.ts: MariaDB 10.11
 * and MySQL 9.7 by default, BENCH_ENGINES narrows): a sandbox cluster stands for one shard (real
 * servers, MyDNS, PowerDNS); a client writes every 2 ms through the weighted resolver on a new
 * connection each time; the master is switched back and forth repeatedly, first on small binlogs,
 * then again once every server's current binlog has grown past BENCH_LARGE_BINLOG_MB (512 by
 * default, made with 1 MB rows in a table dropped afterwards): nothing inside the write window may
 * grow with the binlog. Reports the executor's write-blocked time (old master read-only -> new
 * master writable), when the writer record moved, the longest gap between two acknowledged client
 * writes around each switch, and lost writes. The side-by-side comparison with MHA is
 * bench/switchover-vs-mha.bench.ts. MariaDB's figures stay at metrics.<name>, MySQL's are at
 * metrics.mysql.<name>.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/core/logger.js';
import { connectAdmin } from '../src/mysql/connect-admin.js';
import { openSession } from '../src/mysql/mysql2-session.js';
import { sandboxUp } from '../src/sandbox/sandbox-up.js';
import { sandboxDown } from '../src/sandbox/sandbox-down.js';
import { localSandboxDeps } from '../src/sandbox/local-sandbox-deps.js';
import { readPasswords } from '../src/sandbox/sandbox-secrets.js';
import { requireState } from '../src/sandbox/sandbox-state.js';
import { DowntimeMeter } from '../src/failover/meter/downtime-meter.js';
import { resolverLookup } from '../src/failover/meter/name-lookups.js';
import { onlineSwitchover } from '../src/shard/switchover/online-switchover.js';
import { readWriteAudit } from '../src/failover/meter/write-audit-read.js';
import { badWrites } from '../src/failover/meter/write-audit.js';
import type { EngineKind } from '../src/shard/mysqld/mysqld-engine.js';
import { benchEngine, benchEngines, putForEngine } from './lib/engines.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 12);
const LARGE_BINLOG_MB = Number(process.env.BENCH_LARGE_BINLOG_MB ?? 512);
const logger = createLogger({ level: 'warn' });
const deps = localSandboxDeps(logger);
const host = deps.host;

interface EngineRun {
  blocked: number[];
  moved: number[];
  gaps: number[];
  blockedLarge: number[];
  gapsLarge: number[];
  /** The smallest current binlog of the masters in the large-binlog switches (MB). */
  largeBinlogMb: number;
  lost: number;
  acknowledged: number;
  version: string;
}

async function runOn(kind: EngineKind): Promise<EngineRun> {
  const base = await mkdtemp(join(tmpdir(), 'dbf-bench-sw-'));
  const dir = join(base, 's');
  try {
    await sandboxUp(deps, { dir, clusters: 1, readers: 2, engine: benchEngine(kind) });
    const state = await requireState(dir);
    const pw = await readPasswords(host, dir);
    const dnsEndpoint = { host: state.dnsDb.host, port: 3306, user: 'dbfleet', password: pw.dbfleet, database: 'mydns' };
    const members = state.clusters[0]!.instances.map((i) => ({ id: i.id, host: i.host, port: i.port }));
    const lookup = resolverLookup(dnsEndpoint, state.dns.zone, openSession);
    const client = `bench-${process.pid}-${kind}`;
    const meter = new DowntimeMeter({ writerName: 'aurora-test-1-w', readerName: 'aurora-test-1-r', account: { user: 'app', password: pw.app, database: 'app', table: 'writes', port: 3306 }, intervalMs: 2, timeouts: { connectTimeoutMs: 300, queryTimeoutMs: 1_000 }, client, lookup, openSession });
    const stop = new AbortController();
    const running = meter.run(stop.signal);
    const blocked: number[] = [];
    const moved: number[] = [];
    const gaps: number[] = [];
    const blockedLarge: number[] = [];
    const gapsLarge: number[] = [];
    let master = members[0]!;
    let candidate = members[1]!;
    const other = members[2]!;
    const admin = (m: typeof master) => openSession({ host: m.host, port: m.port, user: 'dbfleet', password: pw.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 600_000 });
    /** The size of the server's current (last) binlog file, in MB. */
    const currentBinlogMb = async (m: typeof master): Promise<number> => {
      const s = await admin(m);
      try {
        const rows = await s.query('SHOW BINARY LOGS');
        return Number(rows[rows.length - 1]?.['File_size']) / 1_048_576;
      } finally {
        await s.close();
      }
    };
    const switches = async (label: string, into: number[], gapsInto: number[], binlogMb: number[]): Promise<void> => {
      for (let k = 0; k < SWITCHES; k++) {
        binlogMb.push(await currentBinlogMb(master));
        const before = meter.report().writes.length;
        const report = await onlineSwitchover(
          { shard: 'aurora-test-1', writerName: 'aurora-test-1-w', readerName: 'aurora-test-1-r', zone: state.dns.zone, master, candidate, replicas: [other], admin: { user: 'dbfleet', password: pw.dbfleet }, repl: { user: 'repl', password: pw.repl }, appUsers: ['app'] },
          { connect: connectAdmin, openDns: () => openSession(dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 }), logger, actor: 'bench' },
        );
        await new Promise((r) => setTimeout(r, 400));
        // the longest gap between two acknowledged writes around this switch, as the client saw it
        const ok = meter.report().writes.slice(Math.max(0, before - 1)).filter((w) => w.ok);
        let gap = 0;
        for (let i = 1; i < ok.length; i++) gap = Math.max(gap, ok[i]!.end - ok[i - 1]!.end);
        into.push(report.writeBlockedMs);
        if (into === blocked) moved.push(report.recordMovedMs);
        gapsInto.push(gap);
        process.stdout.write(`  ${kind} ${label} switchover ${k + 1}: ${master.id} -> ${candidate.id}: writes blocked ${report.writeBlockedMs} ms (record moved at ${report.recordMovedMs} ms), client gap ${gap} ms\n`);
        [master, candidate] = [candidate, master];
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    await new Promise((r) => setTimeout(r, 500));
    await switches('small-binlog', blocked, gaps, []);
    // grow every server's current binlog (log_replica_updates: the replicas log what they apply)
    const grow = await admin(master);
    try {
      await grow.query('CREATE TABLE app.bench_big (id INT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB NOT NULL)');
      for (let mb = 0; mb < LARGE_BINLOG_MB; mb += 32) {
        await grow.query("INSERT INTO app.bench_big (b) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 32) SELECT REPEAT('x', 1048576) FROM n");
      }
      await grow.query('DROP TABLE app.bench_big');
    } finally {
      await grow.close();
    }
    // every server has applied it before the switches start (the candidate would otherwise lag)
    for (const m of members) {
      for (let waited = 0; (await currentBinlogMb(m)) < LARGE_BINLOG_MB && waited < 600; waited++) await new Promise((r) => setTimeout(r, 1_000));
    }
    await new Promise((r) => setTimeout(r, 2_000));
    const largeMb: number[] = [];
    await switches('large-binlog', blockedLarge, gapsLarge, largeMb);
    stop.abort();
    const final = await running;
    lookup.forget('aurora-test-1-w');
    const writer = await lookup.resolve('aurora-test-1-w');
    await lookup.close();
    // lost, split or on one side only (every server that acknowledged a write is read)
    const lost = badWrites(await readWriteAudit({ openSession, endpoint: (h) => ({ host: h, port: 3306, user: 'app', password: pw.app, database: 'app' }), table: 'writes', client }, final.acks, writer));
    return { blocked, moved, gaps, blockedLarge, gapsLarge, largeBinlogMb: Math.min(...largeMb), lost, acknowledged: final.acknowledged.length, version: state.clusters[0]!.instances[0]!.version ?? 'unknown' };
  } finally {
    await sandboxDown(deps, dir);
    await rm(base, { recursive: true, force: true });
  }
}

const metrics: Record<string, unknown> = {};
const samples: Record<string, unknown> = {};
const versions: string[] = [];
for (const kind of benchEngines()) {
  const r = await runOn(kind);
  versions.push(`${kind} ${r.version}`);
  putForEngine(metrics, kind, {
    write_block_ms_p50: round(median(r.blocked)),
    write_block_ms_max: round(max(r.blocked)),
    record_moved_ms_p50: round(median(r.moved)),
    write_block_ms_p50_large_binlog: round(median(r.blockedLarge)),
    write_block_ms_max_large_binlog: round(max(r.blockedLarge)),
    large_binlog_ratio_p50: round(median(r.blockedLarge) / median(r.blocked)),
    large_binlog_mb_min: round(r.largeBinlogMb),
    client_write_gap_ms_p50_large_binlog: round(median(r.gapsLarge)),
    client_write_gap_ms_p50: round(median(r.gaps)),
    client_write_gap_ms_max: round(max(r.gaps)),
    lost_writes: r.lost,
    acknowledged_writes: r.acknowledged,
  });
  putForEngine(samples, kind, { write_block_ms: r.blocked, record_moved_ms: r.moved, client_write_gap_ms: r.gaps, write_block_ms_large_binlog: r.blockedLarge, client_write_gap_ms_large_binlog: r.gapsLarge });
}
writeResult('switchover', {
  compared_against: 'MHA side by side: bench/results/switchover-vs-mha.json; here the target: median < 100 ms, max < 500 ms, zero lost writes, and the large-binlog median within 20 % of the small-binlog one',
  runs: SWITCHES,
  metrics: metrics as Record<string, number | Record<string, number>>,
  targets: { write_block_ms_p50: '< 100', write_block_ms_max: '< 500', lost_writes: '0', large_binlog_ratio_p50: '<= 1.2' },
  samples: samples as Record<string, number[] | Record<string, number[]>>,
  notes: [
    'write_block = the executor sets read_only on the old master -> the new master is writable (what a client connected to the new master sees); record_moved = the same start -> the writer record names the new master (clients that resolve the name follow from then)',
    `large_binlog: the same switches once every server's current binlog held at least ${LARGE_BINLOG_MB} MB (1 MB rows, 32 per transaction, in a table dropped before the switches); large_binlog_mb_min is the smallest current binlog of the old masters at those switches`,
    'client_write_gap = the longest time between two acknowledged writes of a client writing every 2 ms on a new connection through the weighted resolver',
    `a sandbox cluster (a master and two replicas, GTID replication) stands for one shard, once per engine: ${versions.join(', ')}; MariaDB's figures at metrics.<name>, MySQL's at metrics.mysql.<name>; no checker runs beside it`,
  ],
});
