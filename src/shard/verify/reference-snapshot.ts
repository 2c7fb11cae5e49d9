import { RemoteError, errorMessage } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import type { PositionTable, SnapshotPositionPlan } from '../../mysql/dialect.js';
import type { Statement } from '../../mysql/statement.js';
import { dialectOf, gtidValue, runStatement, runStatements } from '../engine/admin-dialect.js';

/**
 * The reference side of verify: a current, serving replica read in a consistent snapshot, so it
 * never has to stop serving. The snapshot's exact GTID position comes from the dialect's plan:
 * - MariaDB reads mysql.gtid_slave_pos inside the snapshot: on an InnoDB table it is updated in
 *   the same transaction as each applied transaction, so the snapshot sees exactly the position of
 *   the data it sees (the @@gtid_slave_pos variable moves on);
 * - MySQL 9.7 does not update mysql.gtid_executed that way (a background thread writes it in
 *   batches: in a snapshot it lags the data, see dialect-consolidation.ts for the measurement), so
 *   the replica's applier, the only writer of a super_read_only replica, is paused while the
 *   snapshot opens and @@gtid_executed is read (STOP REPLICA SQL_THREAD on a second connection,
 *   bounded; then START REPLICA SQL_THREAD). Readers never wait: a global read lock, the other way
 *   to stop commits, makes every new query on a table wait while it waits for a long query there.
 *   The pause is milliseconds (bench/mysql-snapshot-position.bench.ts).
 */

/** How long STOP REPLICA SQL_THREAD may take on the reference (it waits until the applier has committed what it started). */
export const SNAPSHOT_PAUSE_TIMEOUT_S = 5;

/** What openSnapshot needs: the dialect's plan, and (MariaDB) the position tables read once per compare. */
export interface SnapshotSupport {
  plan: SnapshotPositionPlan;
  tables: readonly PositionTable[];
}

/**
 * How the reference can be read in a snapshot (MariaDB: every gtid_slave_pos table InnoDB), or why
 * not (then verify stops both copies instead).
 */
export async function snapshotSupport(a: MysqlAdmin): Promise<SnapshotSupport | { unusable: string }> {
  const plan = dialectOf(a).snapshotPosition();
  switch (plan.kind) {
    case 'none':
      return { unusable: plan.why };
    case 'applier-pause':
      return { plan, tables: [] };
    case 'position-tables': {
      const tables = plan.parseTables(await runStatement(a, plan.tablesQuery));
      if (tables.length === 0) return { unusable: 'it has no mysql.gtid_slave_pos table' };
      const other = tables.filter((t) => t.engine.toLowerCase() !== 'innodb');
      if (other.length > 0) return { unusable: `its ${other.map((t) => `mysql.${t.name} (${t.engine})`).join(', ')} is not InnoDB, so a snapshot does not show its position` };
      return { plan, tables };
    }
  }
}

/** The reference must replicate: it is waited for, and it serves reads. */
export async function checkReferenceReplicates(a: MysqlAdmin): Promise<void> {
  const st = await a.replicaStatus();
  if (st && st.ioRunning === 'yes' && st.sqlRunning) return;
  const how = st ? `io=${st.ioRunning} sql=${st.sqlRunning ? 'yes' : 'no'}${st.lastSqlError || st.lastIoError ? `, last error: ${st.lastSqlError || st.lastIoError}` : ''}` : 'no replication configured';
  throw new RemoteError('VERIFY_REFERENCE_NOT_REPLICATING', `the reference replica ${a.endpoint.host} does not replicate (${how})`, {
    next: 'fix its replication (or, if a crashed compare left it stopped, run START REPLICA on it), then resume',
  });
}

/** Thrown when the reference's applier could not be paused for the snapshot's position (in time: a long transaction, a replicated DDL behind a long query? or without the privilege); it runs again. */
export class SnapshotPauseFailed extends RemoteError {
  constructor(host: string, timeoutS: number, cause: unknown) {
    super('VERIFY_SNAPSHOT_PAUSE', `${host}: its applier did not pause for the snapshot's position within ${timeoutS} s (STOP REPLICA SQL_THREAD waits until the applier has committed what it started): ${errorMessage(cause)}`, {
      retryable: true,
      next: 'look for a long transaction being applied there, or a replicated DDL waiting for a long query, and that the admin may stop replication (REPLICATION_SLAVE_ADMIN); verify compares with both stopped instead unless the snapshot mode was asked for',
      cause,
    });
  }
}

export interface OpenSnapshotOptions {
  /** A second connection to the reference (MySQL: the pause and resume run there, as START/STOP REPLICA commit the session's transaction). */
  connect: () => Promise<MysqlAdmin>;
  /** Bound of the applier pause (default SNAPSHOT_PAUSE_TIMEOUT_S). */
  pauseTimeoutS?: number;
  /** How long the applier's restart may wait (behind a pause that is still under way on the server). */
  resumeTimeoutMs: number;
}

/**
 * Opens a consistent snapshot on the reference and returns the GTID position its data stands at.
 * The transaction stays open (the caller's COMMIT ends it; so does closing the connection).
 * Sets no session variable: the isolation level applies to this one transaction.
 */
export async function openSnapshot(a: MysqlAdmin, support: SnapshotSupport, o: OpenSnapshotOptions): Promise<string> {
  await a.session.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  const { plan } = support;
  if (plan.kind === 'applier-pause') return pausedSnapshot(a, plan, o);
  if (plan.kind === 'none') throw new RemoteError('VERIFY_NO_SNAPSHOT', `${a.endpoint.host} cannot be read in a snapshot: ${plan.why}`);
  await a.session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  const rows = [];
  for (const t of support.tables) rows.push(...(await runStatement(a, plan.rowsQuery(t.name))));
  const position = plan.parsePosition(rows);
  // MariaDB's empty gtid_slave_pos tables say only that nothing was replicated since they were last cleared
  if (position === '') throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} shows no applied GTID in its snapshot: no position to compare at`, { next: 'let it replicate a transaction from the master, then resume' });
  return position;
}

/**
 * MySQL: the applier paused on a second connection (bounded), the snapshot opened and
 * @@gtid_executed read (exact: nothing commits meanwhile, so an empty set too means no
 * transaction at all yet), the applier started again, whatever happened.
 */
async function pausedSnapshot(a: MysqlAdmin, plan: Extract<SnapshotPositionPlan, { kind: 'applier-pause' }>, o: OpenSnapshotOptions): Promise<string> {
  const timeoutS = o.pauseTimeoutS ?? SNAPSHOT_PAUSE_TIMEOUT_S;
  // connected before the pause: connecting is no part of the applier's wait
  const control = await o.connect();
  try {
    try {
      await runStatements(control, plan.pause, { timeoutMs: timeoutS * 1000 });
    } catch (e) {
      // The STOP may still be under way on the server (measured on 9.7.4: neither a client that
      // gives up nor KILL QUERY cancels it; it stops the applier once its current transaction
      // ends). A START on a fresh connection waits behind it and starts the applier again then.
      await resumeApplier(a, undefined, plan.resume, o, e);
      throw new SnapshotPauseFailed(a.endpoint.host, timeoutS, e);
    }
    let failure: unknown;
    try {
      await a.session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      return await gtidValue(a, plan.position);
    } catch (e) {
      failure = e;
      throw e;
    } finally {
      await resumeApplier(a, control, plan.resume, o, failure);
    }
  } finally {
    await control.close().catch(() => undefined);
  }
}

/**
 * START REPLICA SQL_THREAD with its own deadline: on the control connection, else on a fresh one;
 * then its applier must be seen running. A reference it cannot restart is an error naming it and
 * the command to run (it serves stale reads until started).
 */
async function resumeApplier(a: MysqlAdmin, control: MysqlAdmin | undefined, resume: readonly Statement[], o: OpenSnapshotOptions, before: unknown): Promise<void> {
  const tried: string[] = [];
  let last: unknown;
  const start = async (x: MysqlAdmin): Promise<void> => {
    await runStatements(x, resume, { timeoutMs: o.resumeTimeoutMs });
    const st = await x.replicaStatus({ timeoutMs: o.resumeTimeoutMs });
    if (!st?.sqlRunning) throw new RemoteError('VERIFY_RESTART', `its applier does not run after the START${st?.lastSqlError ? ` (${st.lastSqlError})` : ''}`);
  };
  if (control) {
    try {
      await start(control);
      return;
    } catch (e) {
      last = e;
      tried.push(`on the control connection: ${errorMessage(e)}`);
    }
  }
  try {
    const fresh = await o.connect();
    try {
      await start(fresh);
      return;
    } finally {
      await fresh.close().catch(() => undefined);
    }
  } catch (e) {
    last = e;
    tried.push(`on a fresh connection: ${errorMessage(e)}`);
  }
  const command = `${resume.map((s) => s.redacted).join('; ')} on ${a.endpoint.host}:${a.endpoint.port}`;
  throw new RemoteError('VERIFY_LEFT_STOPPED', `the applier of the reference ${a.endpoint.host}:${a.endpoint.port} could not be started again after the snapshot's pause (${command} failed ${tried.join('; ')})${before === undefined ? '' : `, after: ${errorMessage(before)}`}`, {
    next: `run ${command} now (a stopped reference serves stale reads) and check with ${dialectOf(a).replicaStatusQuery().redacted} that both threads run; then resume`,
    cause: before ?? last,
    details: { stopped: [`${a.endpoint.host}:${a.endpoint.port}`] },
  });
}
