import { randomBytes } from 'node:crypto';
import { errorMessage, SafetyRefusal } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { listRecords } from '../../dns/record-store.js';
import { serverErrno } from '../../dns/sql-transaction.js';
import type { Endpoint, MysqlAdmin, SqlSession, Timeouts } from '../../mysql/admin.js';
import { acquireOrRenew, ensureLeaseTable, releaseLease } from '../../failover/lease/lease-store.js';
import { asSwitch } from '../../mysql/row-values.js';
import { dialectOf, gtidValue, runStatement } from '../engine/admin-dialect.js';
import { boundLockWaits } from '../../mysql/lock-wait-bound.js';
import { refusals, type SwitchoverFacts } from './switchover-checks.js';
import { TIMEOUTS, detachCandidate, endConnections, moveWriterRecord, oldMasterFollows, repointReplicas } from './after-promotion.js';

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
  /**
   * The server-side bound on read_only = 1 (lock_wait_timeout, whole seconds): how long writes
   * may queue behind it while it waits for running statements. Default 1.
   */
  blockWritesTimeoutSeconds?: number;
  /**
   * Statements running this long on the master that would hold up read_only make the precheck
   * refuse. Default 5: an ordinary write slowed by a busy server for a second or two is not one
   * (if it still runs at block-writes, the window backs out at its lock wait bound).
   */
  longStatementSeconds?: number;
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
  /** What clients see: the old master read-only -> the new master accepts writes (ms). */
  writeBlockedMs: number;
  /** The old master read-only -> the writer record names the new master (ms). */
  recordMovedMs: number;
  finalGtid: string;
}


/**
 * An online master switch for one shard, MHA-style but scripted to keep writes blocked as briefly
 * as possible: every check runs before anything changes (the lease taken with a TTL that outlives
 * the window), writes are blocked only once the candidate is known to be close behind, and the
 * window holds only what safety needs, each step O(1) in binlog size and bounded on the server:
 * read_only on the old master (under lock_wait_timeout), its GTID position from the server
 * variables, the candidate's wait for it, the fence re-read, read_only = 0 on the candidate. The
 * writer record moves and replication is cleaned up after writes are open again. Any failure
 * before the promotion unblocks the old master again; the log names the phase.
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
      const rec: PhaseRecord = { phase: name, startedAt, ms: Math.round((performance.now() - t0) * 10) / 10, outcome: name.startsWith('undo-') ? 'undone' : 'ok', ...(detail ? { detail: detail(v) } : {}) };
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
  const blockS = req.blockWritesTimeoutSeconds ?? 1;
  const catchUpMs = req.catchUpTimeoutMs ?? 5_000;
  // the longest the window can stay open: each read_only statement bounded by lock_wait_timeout, the
  // catch-up by its wait, the few reads by the query timeout; the lease outlives it by a margin
  const windowBoundMs = (BLOCK_ATTEMPTS + 1) * (blockS * 1_000 + q.timeoutMs) + catchUpMs + 3 * q.timeoutMs;
  const leaseTtlMs = Math.max(120_000, windowBoundMs + LEASE_MARGIN_MS * 2);
  const leaseName = `switchover:${req.shard}`;
  // unique per run: two runs by the same operator must not share (and release) one lease
  const holder = `${deps.actor}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let leaseToken = 0;
  try {
    // A second switchover of the same shard at the same time is refused.
    await ensureLeaseTable(dns, q);
    const leaseAskedAt = performance.now();
    const lease = await acquireOrRenew(dns, leaseName, holder, leaseTtlMs, q);
    if (!lease.held) throw new SafetyRefusal('SWITCHOVER_IN_PROGRESS', `another switchover of ${req.shard} is running (${lease.holder})`);
    leaseToken = lease.token;
    // measured from before the request: the lease is ours at least until then (the DNS write is fenced by its token too)
    const leaseValidUntil = leaseAskedAt + leaseTtlMs;

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
      // read_only waits for the global read lock behind running writes, and every write queues
      // behind it: the server gives up after this many seconds (error 1205) and the block is undone
      await boundLockWaits(master.session, blockS);
    });

    // The window: only what safety needs, each step O(1) in binlog size and bounded on the server.
    const blockedAt = performance.now();
    let promoted = false;
    let candidateTouched = false;
    let finalGtid = '';
    try {
      await phase('block-writes', () => blockWrites(master, blockS * 1_000 + q.timeoutMs, log), (n) => (n > 1 ? `after ${n} attempts (lock wait timeouts)` : ''));
      finalGtid = await phase(
        'final-position',
        async () => {
          const fence = await master.writeFence();
          if (!fence.fullyReadOnly) throw new SafetyRefusal('MASTER_MOVED_DURING_SWITCH', `${req.master.id} is no longer fully read-only right after the block: another process changes read_only`);
          return fence.gtidSet;
        },
        (g) => g || '(empty)',
      );
      await phase('candidate-caught-up', () => candidate.waitForGtid(finalGtid, catchUpMs));
      await phase('promote', async () => {
        if (performance.now() > leaseValidUntil - LEASE_MARGIN_MS) {
          throw new SafetyRefusal('SWITCHOVER_LEASE_LOST', `the switchover lease of ${req.shard} (${Math.round(leaseTtlMs / 1000)} s) is about to run out before the promotion`);
        }
        // right before the irreversible step: the old master is still fully blocked at the final
        // position (nobody unblocked it meanwhile: on MySQL a lowered super_read_only alone lets
        // privileged users write again)
        const fence = await master.writeFence();
        if (!fence.fullyReadOnly || !dialectOf(master).sameGtids(fence.gtidSet, finalGtid)) {
          throw new SafetyRefusal('MASTER_MOVED_DURING_SWITCH', `${req.master.id} is ${fence.fullyReadOnly ? 'read-only' : 'no longer fully read-only'} at ${fence.gtidSet || '(empty)'}, not read-only at the final position ${finalGtid || '(empty)'}: someone wrote or unblocked it during the switch`);
        }
        candidateTouched = true;
        // writable while its replication still runs: the old master is read-only, nothing more comes
        await candidate.setReadOnly(false);
        promoted = true;
      });
    } catch (e) {
      if (!promoted) await undoBlock(req, deps, ep, phase, log, candidateTouched);
      throw e;
    }
    const writeBlockedMs = Math.round(performance.now() - blockedAt);

    // From here on the candidate is the master and takes writes: every later phase runs even if
    // one fails, and a failure says exactly what is left to do.
    let moveError: unknown;
    await phase('move-writer-record', () => moveWriterRecord(req, deps, dns, q, leaseName, holder, leaseToken)).catch((e: unknown) => {
      moveError = e;
    });
    const recordMovedMs = Math.round(performance.now() - blockedAt);
    const later: unknown[] = [];
    const run = (name: string, work: () => Promise<unknown>, detail?: (v: unknown) => string): Promise<boolean> =>
      phase(name, work, detail).then(
        () => true,
        (e: unknown) => {
          later.push(e);
          return false;
        },
      );
    const detached = await run('detach-candidate', () => detachCandidate(candidate));
    await run('end-old-connections', () => endConnections(master, req.appUsers), (n) => `${String(n)} application connections ended`);
    await run('repoint-replicas', () => repointReplicas(req, deps, finalGtid));
    // never while the new master still replicates from the old one: the two would form a ring
    if (detached) await run('old-master-follows', () => oldMasterFollows(req, master));
    if (moveError !== undefined || later.length > 0) {
      throw new SafetyRefusal('SWITCHOVER_INCOMPLETE', `${req.candidate.id} is the master of ${req.shard} now, but ${[moveError !== undefined ? `the writer record was not moved (${errorMessage(moveError)})` : '', ...later.map((e) => errorMessage(e)), detached ? '' : `${req.master.id} was not made to follow it (${req.candidate.id} still replicates from it)`].filter(Boolean).join('; ')}`, {
        next: moveError !== undefined ? `point ${req.writerName} at ${req.candidate.host} now (dbfleet checker does it when it runs), then check the replicas` : detached ? `finish by hand what failed above (each failure names its server), or resume shard apply if a plan ran this switch: it finishes every step after the promotion` : `run dbfleet shard switchover ${req.shard} --to ${req.candidate.id} again (or resume shard apply): it finds ${req.candidate.id} promoted and still replicating from ${req.master.id}, and finishes the steps after the promotion`,
      });
    }
    return { shard: req.shard, from: req.master.id, to: req.candidate.id, phases, writeBlockedMs, recordMovedMs, finalGtid };
  } finally {
    if (leaseToken > 0) await releaseLease(dns, leaseName, holder, leaseToken, q).catch(() => undefined);
    await Promise.all([master.close(), candidate.close(), dns.close()].map((p) => p.catch(() => undefined)));
  }
}

/** How often block-writes tries read_only = 1 when the server's lock wait bound ends an attempt. */
const BLOCK_ATTEMPTS = 3;
const ER_LOCK_WAIT_TIMEOUT = 1205;

/**
 * read_only = 1 on the old master. A running write holds it up (it waits for the global read
 * lock, and every write queues behind it); the server ends each wait at lock_wait_timeout (error
 * 1205) and the statement does not take effect, so it is tried again at once, at most
 * BLOCK_ATTEMPTS times: a write slowed by a busy server gets a few bounded chances to end. Any
 * other failure, or the last timeout, is the caller's (its undo unblocks). Returns the attempts.
 */
async function blockWrites(master: MysqlAdmin, timeoutMs: number, log: Logger): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      await master.setReadOnly(true, { timeoutMs });
      return attempt;
    } catch (e) {
      if (attempt >= BLOCK_ATTEMPTS || serverErrno(e) !== ER_LOCK_WAIT_TIMEOUT) throw e;
      log.warn({ attempt, err: errorMessage(e) }, 'read_only = 1 waited behind a running write until the lock wait bound: trying again');
    }
  }
}

/** Left between the lease's end by our clock and the promotion (ms). */
const LEASE_MARGIN_MS = 10_000;

type PhaseFn = <T>(name: string, work: () => Promise<T>, detail?: (v: T) => string) => Promise<T>;

/**
 * Backs out of a window that did not reach the promotion, on fresh connections (the failure may
 * have been a session itself): a candidate the promotion may have reached is made read-only again
 * first, and the old master is made writable only once the candidate is known to be read-only.
 */
async function undoBlock(req: SwitchoverRequest, deps: SwitchoverDeps, ep: (m: SwitchoverMember) => Endpoint, phase: PhaseFn, log: Logger, candidateTouched: boolean): Promise<void> {
  const onFresh = async (m: SwitchoverMember, readOnly: boolean): Promise<void> => {
    const again = await deps.connect(ep(m), TIMEOUTS);
    try {
      await again.setReadOnly(readOnly);
    } finally {
      await again.close();
    }
  };
  try {
    if (candidateTouched) await phase('undo-promote', () => onFresh(req.candidate, true));
  } catch (u) {
    log.error({ err: errorMessage(u) }, `UNDO FAILED: ${req.candidate.id} may be writable; ${req.master.id} is left read-only so that only one of them can be: check ${req.candidate.id} (SELECT @@read_only), set read_only=1 on it, then read_only=0 on ${req.master.id}`);
    return;
  }
  await phase('undo-block', () => onFresh(req.master, false)).catch((u: unknown) =>
    log.error({ err: errorMessage(u) }, `UNDO FAILED: ${req.master.id} is still read-only; set read_only=0 on it by hand`),
  );
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
  // replication threads and the event scheduler run as 'system user' (command Connect / Daemon)
  const running = await master.session.query(
    "SELECT id, user, time AS s, info FROM information_schema.processlist WHERE command IN ('Query', 'Execute') AND id <> CONNECTION_ID() AND user <> 'system user' AND time >= ?",
    [req.longStatementSeconds ?? 5],
  );
  return {
    master: { id: req.master.id, host: req.master.host, port: req.master.port, readOnly, gtidState: masterState },
    candidate: { id: req.candidate.id, replica: await candidate.replicaStatus(), gtidState: candidateState, serverId },
    errantGtids: dm.errantGtids(masterState, candidateState),
    readOnlyBypass: await readOnlyBypass(master, req.appUsers, dm.readOnlyBypassPrivileges()),
    longTransactions: trx.map((t) => ({ id: Number(t['id']), seconds: Number(t['s']) })),
    runningStatements: running.map((r) => ({ id: Number(r['id']), user: String(r['user']), seconds: Number(r['s']), text: r['info'] === null || r['info'] === undefined ? null : String(r['info']) })),
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
