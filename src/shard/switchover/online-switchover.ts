import { randomBytes } from 'node:crypto';
import { errorMessage, SafetyRefusal } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { listRecords } from '../../dns/record-store.js';
import type { Endpoint, MysqlAdmin, SqlSession, Timeouts } from '../../mysql/admin.js';
import { acquireOrRenew, ensureLeaseTable, releaseLease } from '../../failover/lease/lease-store.js';
import { asSwitch } from '../../mysql/row-values.js';
import { dialectOf, gtidValue, runStatement } from '../engine/admin-dialect.js';
import { refusals, type SwitchoverFacts } from './switchover-checks.js';
import { TIMEOUTS, endConnections, moveWriterRecord, oldMasterFollows, repointReplicas } from './after-promotion.js';

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
  /**
   * Called after each phase as `<shard>:<phase>` (tests crash the process there: DBFLEET_FAILPOINT,
   * read by the CLI). Absent in normal runs.
   */
  failpoint?: (point: string) => void;
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
      deps.failpoint?.(`${req.shard}:${name}`);
      return v;
    } catch (e) {
      const rec: PhaseRecord = { phase: name, startedAt, ms: Math.round((performance.now() - t0) * 10) / 10, outcome: 'failed', detail: errorMessage(e) };
      phases.push(rec);
      log.error(rec, `switchover phase ${name}: failed`);
      throw e;
    }
  };

  const master = await deps.connect(ep(req.master), TIMEOUTS);
  let candidate: MysqlAdmin;
  let dns: SqlSession;
  try {
    candidate = await deps.connect(ep(req.candidate), TIMEOUTS);
  } catch (e) {
    await master.close().catch(() => undefined);
    throw e;
  }
  try {
    dns = await deps.openDns();
  } catch (e) {
    await Promise.all([master.close(), candidate.close()].map((p) => p.catch(() => undefined)));
    throw e;
  }
  const q = { timeoutMs: 5_000 };
  const leaseName = `switchover:${req.shard}`;
  // unique per run: two runs by the same operator must not share (and release) one lease
  const holder = `${deps.actor}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let leaseToken = 0;
  try {
    // A second switchover of the same shard at the same time is refused.
    await ensureLeaseTable(dns, q);
    const lease = await acquireOrRenew(dns, leaseName, holder, 120_000, q);
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
    let promoted = false;
    let finalGtid = '';
    try {
      await phase('block-writes', () => master.setReadOnly(true));
      finalGtid = await phase('final-position', async () => (await master.binlogPosition()).gtidSet ?? '', (g) => g || '(empty)');
      await phase('candidate-caught-up', () => candidate.waitForGtid(finalGtid, req.catchUpTimeoutMs ?? 5_000));
      await phase('promote', async () => {
        // re-verify right before the irreversible step: the lease is still ours
        const still = await acquireOrRenew(dns, leaseName, holder, 120_000, q);
        if (!still.held || still.token !== leaseToken) throw new SafetyRefusal('SWITCHOVER_LEASE_LOST', `the switchover lease of ${req.shard} is no longer ours (${still.holder})`);
        // and the old master is still fully blocked at the final position (nobody unblocked it
        // meanwhile: on MySQL a lowered super_read_only alone lets privileged users write again)
        const blocked = asSwitch((await runStatement(master, dialectOf(master).fullReadOnlyQuery()))[0]?.['ro'], 'fully read-only');
        const pos = (await master.binlogPosition()).gtidSet ?? '';
        if (!blocked || !dialectOf(master).sameGtids(pos, finalGtid)) {
          throw new SafetyRefusal('MASTER_MOVED_DURING_SWITCH', `${req.master.id} is ${blocked ? 'read-only' : 'no longer fully read-only'} at ${pos || '(empty)'}, not read-only at the final position ${finalGtid || '(empty)'}: someone wrote or unblocked it during the switch`);
        }
        await candidate.stopReplica();
        await candidate.resetReplicaAll();
        await candidate.setReadOnly(false);
        promoted = true;
      });
    } catch (e) {
      if (!promoted) {
        // on a fresh connection: the failure may have been the master session itself
        await phase('undo-block', async () => {
          const again = await deps.connect(ep(req.master), TIMEOUTS);
          try {
            await again.setReadOnly(false);
          } finally {
            await again.close();
          }
        }).catch((u: unknown) => log.error({ err: errorMessage(u) }, 'UNDO FAILED: the old master is still read-only; set read_only=0 on it by hand'));
        const last = phases[phases.length - 1];
        if (last && last.phase === 'undo-block' && last.outcome === 'ok') last.outcome = 'undone';
      }
      throw e;
    }

    // From here on the candidate is the master: every later phase runs even if one fails, and a
    // failure says exactly what is left to do.
    let moveError: unknown;
    await phase('move-writer-record', () => moveWriterRecord(req, deps, dns, q, leaseName, holder, leaseToken)).catch((e: unknown) => {
      moveError = e;
    });
    const writeBlockedMs = Math.round(performance.now() - blockedAt);
    const later: unknown[] = [];
    const run = (name: string, work: () => Promise<unknown>, detail?: (v: unknown) => string): Promise<void> =>
      phase(name, work, detail).then(
        () => undefined,
        (e: unknown) => void later.push(e),
      );
    await run('end-old-connections', () => endConnections(master, req.appUsers), (n) => `${String(n)} application connections ended`);
    await run('repoint-replicas', () => repointReplicas(req, deps, finalGtid));
    await run('old-master-follows', () => oldMasterFollows(req, master));
    if (moveError !== undefined || later.length > 0) {
      throw new SafetyRefusal('SWITCHOVER_INCOMPLETE', `${req.candidate.id} is the master of ${req.shard} now, but ${[moveError !== undefined ? `the writer record was not moved (${errorMessage(moveError)})` : '', ...later.map((e) => errorMessage(e))].filter(Boolean).join('; ')}`, {
        next: moveError !== undefined ? `point ${req.writerName} at ${req.candidate.host} now (dbfleet checker does it when it runs), then check the replicas` : 'check the replicas named above',
      });
    }
    return { shard: req.shard, from: req.master.id, to: req.candidate.id, phases, writeBlockedMs, finalGtid };
  } finally {
    if (leaseToken > 0) await releaseLease(dns, leaseName, holder, leaseToken, q).catch(() => undefined);
    await Promise.all([master.close(), candidate.close(), dns.close()].map((p) => p.catch(() => undefined)));
  }
}

async function readFacts(req: SwitchoverRequest, master: MysqlAdmin, candidate: MysqlAdmin): Promise<SwitchoverFacts> {
  const dm = dialectOf(master);
  // the candidate first: read after the master, a caught-up candidate under writes would look ahead (errant)
  const candidateState = await gtidValue(candidate, dialectOf(candidate).gtidStateQuery());
  const masterState = await gtidValue(master, dm.gtidStateQuery());
  const readOnly = asSwitch((await runStatement(master, dm.readOnlyQuery()))[0]?.['ro'], 'read_only');
  const serverId = Number((await candidate.session.query('SELECT @@server_id AS sid'))[0]?.['sid']);
  const limit = req.longTransactionSeconds ?? 10;
  const trx = await master.session.query('SELECT trx_mysql_thread_id AS id, TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS s FROM information_schema.innodb_trx WHERE trx_started < NOW() - INTERVAL ? SECOND', [limit]);
  return {
    master: { id: req.master.id, host: req.master.host, port: req.master.port, readOnly, gtidState: masterState },
    candidate: { id: req.candidate.id, replica: await candidate.replicaStatus(), gtidState: candidateState, serverId },
    errantGtids: dm.errantGtids(masterState, candidateState),
    readOnlyBypass: await readOnlyBypass(master, req.appUsers, dm.readOnlyBypassPrivileges()),
    longTransactions: trx.map((t) => ({ id: Number(t['id']), seconds: Number(t['s']) })),
    maxLagSeconds: req.maxLagSeconds ?? 1,
  };
}

/** Application users granted (directly) a privilege that writes through read_only: the dialect names them (none on MySQL). */
async function readOnlyBypass(master: MysqlAdmin, users: readonly string[], privileges: readonly string[]): Promise<string[]> {
  if (users.length === 0 || privileges.length === 0) return [];
  const rows = await master.session.query(`SELECT DISTINCT grantee AS g FROM information_schema.user_privileges WHERE privilege_type IN (${privileges.map(() => '?').join(', ')})`, [...privileges]);
  const holders = new Set(rows.map((r) => String(r['g']).replace(/^'([^']*)'@.*$/, '$1')));
  return users.filter((u) => holders.has(u));
}
