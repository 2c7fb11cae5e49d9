import { errorMessage, SafetyRefusal } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { applyChangeSet, listRecords } from '../../dns/record-store.js';
import type { RecordOp } from '../../dns/change-set.js';
import type { Endpoint, MysqlAdmin, SqlSession, Timeouts } from '../../mysql/admin.js';
import { acquireOrRenew, ensureLeaseTable, leaseFence, releaseLease } from '../../failover/lease/lease-store.js';
import { refusals, type SwitchoverFacts } from './switchover-checks.js';

export interface SwitchoverMember {
  id: string;
  host: string;
  port: number;
}

export interface SwitchoverRequest {
  shard: string;
  writerName: string;
  readerName: string;
  zone: string;
  master: SwitchoverMember;
  candidate: SwitchoverMember;
  /** The shard's other replicas: re-pointed at the new master. */
  replicas: SwitchoverMember[];
  admin: { user: string; password: string | undefined };
  repl: { user: string; password: string };
  /** Application users whose connections on the old master are ended after the switch. */
  appUsers: string[];
  maxLagSeconds?: number;
  longTransactionSeconds?: number;
  /** How long the candidate may take to apply the master's last transaction once writes are blocked. */
  catchUpTimeoutMs?: number;
  readerWeight?: number;
}

export interface SwitchoverDeps {
  connect: (e: Endpoint, t: Timeouts) => Promise<MysqlAdmin>;
  openDns: () => Promise<SqlSession>;
  logger: Logger;
  actor: string;
}

export interface PhaseRecord {
  phase: string;
  startedAt: string;
  ms: number;
  outcome: 'ok' | 'failed' | 'undone';
  detail?: string;
}

export interface SwitchoverReport {
  shard: string;
  from: string;
  to: string;
  phases: PhaseRecord[];
  /** Writes blocked on the old master -> the writer record names the new one (ms). */
  writeBlockedMs: number;
  finalGtid: string;
}

const TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 };

/**
 * An online master switch for one shard, MHA-style but scripted to keep writes blocked as briefly
 * as possible: every check runs before anything changes, writes are blocked only once the
 * candidate is known to be close behind, and the writer record moves right after the promotion.
 * Any failure before the promotion unblocks the old master again; the log names the phase.
 */
export async function onlineSwitchover(req: SwitchoverRequest, deps: SwitchoverDeps): Promise<SwitchoverReport> {
  const log = deps.logger.child({ shard: req.shard, switchover: `${req.master.id} -> ${req.candidate.id}` });
  const phases: PhaseRecord[] = [];
  const ep = (m: SwitchoverMember): Endpoint => ({ host: m.host, port: m.port, user: req.admin.user, password: req.admin.password });
  const phase = async <T>(name: string, work: () => Promise<T>, detail?: (v: T) => string): Promise<T> => {
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    try {
      const v = await work();
      const rec: PhaseRecord = { phase: name, startedAt, ms: Math.round((performance.now() - t0) * 10) / 10, outcome: 'ok', ...(detail ? { detail: detail(v) } : {}) };
      phases.push(rec);
      log.info(rec, `switchover phase ${name}: ok`);
      return v;
    } catch (e) {
      const rec: PhaseRecord = { phase: name, startedAt, ms: Math.round((performance.now() - t0) * 10) / 10, outcome: 'failed', detail: errorMessage(e) };
      phases.push(rec);
      log.error(rec, `switchover phase ${name}: failed`);
      throw e;
    }
  };

  const master = await deps.connect(ep(req.master), TIMEOUTS);
  const candidate = await deps.connect(ep(req.candidate), TIMEOUTS);
  const dns = await deps.openDns();
  const q = { timeoutMs: 5_000 };
  const leaseName = `switchover:${req.shard}`;
  let leaseToken = 0;
  try {
    // A second switchover of the same shard at the same time is refused.
    await ensureLeaseTable(dns, q);
    const lease = await acquireOrRenew(dns, leaseName, deps.actor, 120_000, q);
    if (!lease.held) throw new SafetyRefusal('SWITCHOVER_IN_PROGRESS', `another switchover of ${req.shard} is running (${lease.holder})`);
    leaseToken = lease.token;

    await phase('precheck', async () => {
      const facts = await readFacts(req, master, candidate);
      const problems = refusals(facts);
      if (problems.length > 0) {
        throw new SafetyRefusal(problems[0]!.code, `refusing to switch ${req.shard}: ${problems.map((p) => p.message).join('; ')}`, {
          next: 'fix the cause (or pick another --to) and run the switchover again; nothing was changed',
          details: { refusals: problems },
        });
      }
      const records = await listRecords(dns, req.zone, req.writerName, q);
      if (records.records.length !== 1 || records.records[0]?.address !== req.master.host) {
        throw new SafetyRefusal('WRITER_RECORD_ELSEWHERE', `${req.writerName} points at ${records.records.map((r) => r.address).join(', ') || 'nothing'}, not at ${req.master.host}`);
      }
    });

    const blockedAt = performance.now();
    await phase('block-writes', () => master.setReadOnly(true));
    let promoted = false;
    let finalGtid = '';
    try {
      finalGtid = await phase('final-position', async () => (await master.binlogPosition()).gtidSet ?? '', (g) => g || '(empty)');
      await phase('candidate-caught-up', () => candidate.waitForGtid(finalGtid, req.catchUpTimeoutMs ?? 5_000));
      await phase('promote', async () => {
        await candidate.stopReplica();
        await candidate.resetReplicaAll();
        await candidate.setReadOnly(false);
        promoted = true;
      });
    } catch (e) {
      if (!promoted) {
        await phase('undo-block', () => master.setReadOnly(false)).catch((u: unknown) => log.error({ err: errorMessage(u) }, 'UNDO FAILED: the old master is still read-only; set read_only=0 on it by hand'));
        const last = phases[phases.length - 1];
        if (last && last.phase === 'undo-block') last.outcome = 'undone';
      }
      throw e;
    }

    await phase('move-writer-record', async () => {
      const reader = await listRecords(dns, req.zone, req.readerName, q);
      const ops: RecordOp[] = [{ op: 'replace-writer', name: req.writerName, expect: { address: req.master.host }, address: req.candidate.host }];
      const weight = (addr: string): number | undefined => reader.records.find((r) => r.address === addr)?.weight;
      const cw = weight(req.candidate.host);
      if (cw !== undefined && cw !== 0) ops.push({ op: 'set-weight', name: req.readerName, address: req.candidate.host, expect: { weight: cw }, weight: 0 });
      const mw = weight(req.master.host);
      if (mw !== undefined && mw !== (req.readerWeight ?? 100)) ops.push({ op: 'set-weight', name: req.readerName, address: req.master.host, expect: { weight: mw }, weight: req.readerWeight ?? 100 });
      await applyChangeSet(dns, req.zone, ops, { actor: deps.actor, why: `online switchover of ${req.shard}: ${req.master.id} -> ${req.candidate.id}`, fence: leaseFence(leaseName, deps.actor, leaseToken, q) }, { timeoutMs: 5_000 });
    });
    const writeBlockedMs = Math.round(performance.now() - blockedAt);

    await phase('repoint-replicas', async () => {
      await Promise.all(
        req.replicas.map(async (r) => {
          const a = await deps.connect(ep(r), TIMEOUTS);
          try {
            await a.waitForGtid(finalGtid, 10_000);
            await a.stopReplica();
            await a.changeSource({ kind: 'gtid', host: req.candidate.host, port: req.candidate.port, user: req.repl.user, password: req.repl.password });
            await a.startReplica();
          } finally {
            await a.close();
          }
        }),
      );
    });
    await phase('old-master-follows', async () => {
      // the rollback path: the old master replicates from the new one, read-only
      const pos = String((await master.session.query('SELECT @@gtid_binlog_pos AS pos'))[0]?.['pos'] ?? '');
      await master.changeSource({ kind: 'gtid', host: req.candidate.host, port: req.candidate.port, user: req.repl.user, password: req.repl.password, startGtid: pos });
      await master.startReplica();
    });
    await phase('end-old-connections', () => endConnections(master, req.appUsers), (n) => `${n} application connections ended`);
    return { shard: req.shard, from: req.master.id, to: req.candidate.id, phases, writeBlockedMs, finalGtid };
  } finally {
    if (leaseToken > 0) await releaseLease(dns, leaseName, deps.actor, leaseToken, q).catch(() => undefined);
    await Promise.all([master.close(), candidate.close(), dns.close()].map((p) => p.catch(() => undefined)));
  }
}

async function readFacts(req: SwitchoverRequest, master: MysqlAdmin, candidate: MysqlAdmin): Promise<SwitchoverFacts> {
  const one = async (a: MysqlAdmin, sql: string): Promise<Record<string, unknown>> => (await a.session.query(sql))[0] ?? {};
  const m = await one(master, 'SELECT @@read_only AS ro, @@gtid_binlog_pos AS pos');
  const c = await one(candidate, 'SELECT @@gtid_binlog_pos AS pos, @@server_id AS sid');
  const limit = req.longTransactionSeconds ?? 10;
  const trx = await master.session.query('SELECT trx_mysql_thread_id AS id, TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS s FROM information_schema.innodb_trx WHERE trx_started < NOW() - INTERVAL ? SECOND', [limit]);
  return {
    master: { id: req.master.id, host: req.master.host, port: req.master.port, readOnly: Number(m['ro']) === 1, gtidBinlogPos: String(m['pos'] ?? '') },
    candidate: { id: req.candidate.id, replica: await candidate.replicaStatus(), gtidBinlogPos: String(c['pos'] ?? ''), serverId: Number(c['sid']) },
    longTransactions: trx.map((t) => ({ id: Number(t['id']), seconds: Number(t['s']) })),
    maxLagSeconds: req.maxLagSeconds ?? 1,
  };
}

/** Ends the application users' connections on the old master, so pooled clients reconnect through DNS. */
async function endConnections(master: MysqlAdmin, users: readonly string[]): Promise<number> {
  if (users.length === 0) return 0;
  const rows = await master.session.query(`SELECT id FROM information_schema.processlist WHERE user IN (${users.map(() => '?').join(', ')}) AND id <> CONNECTION_ID()`, [...users]);
  let n = 0;
  for (const r of rows) {
    try {
      await master.session.query(`KILL CONNECTION ${Number(r['id'])}`);
      n += 1;
    } catch {
      // it ended by itself meanwhile
    }
  }
  return n;
}

