import { RemoteError, errorMessage } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import type { PositionTable, SnapshotPositionPlan } from '../../mysql/dialect.js';
import type { Statement } from '../../mysql/statement.js';
import { dialectOf, gtidValue, runStatement, runStatements } from '../engine/admin-dialect.js';

/**
 * The reference side of verify: a current, serving replica read in a consistent snapshot, so it
 * never has to stop. The snapshot's exact GTID position comes from the dialect's plan:
 * - MariaDB reads mysql.gtid_slave_pos inside the snapshot: on an InnoDB table it is updated in
 *   the same transaction as each applied transaction, so the snapshot sees exactly the position of
 *   the data it sees (the @@gtid_slave_pos variable moves on);
 * - MySQL 9.7 does not update mysql.gtid_executed that way (a background thread writes it in
 *   batches: in a snapshot it lags the data, see dialect-consolidation.ts for the measurement), so
 *   nothing may commit while the snapshot opens and @@gtid_executed is read: a global read lock
 *   held for milliseconds, bounded by lock_wait_timeout, and gone with the connection if dbfleet
 *   dies. Readers are not blocked by it; the replica's applier waits those milliseconds.
 */

/** How long the reference's applier may be held for the snapshot's position (MySQL's global read lock). */
export const SNAPSHOT_LOCK_TIMEOUT_S = 5;

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
    case 'commit-lock':
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

/** Thrown when the global read lock for the snapshot's position could not be had (in time: a long query on the reference? or without RELOAD). */
export class SnapshotLockTimeout extends RemoteError {
  constructor(host: string, timeoutS: number, cause: unknown) {
    super('VERIFY_SNAPSHOT_LOCK', `${host}: no global read lock for the snapshot's position within ${timeoutS} s: ${errorMessage(cause)}`, {
      retryable: true,
      next: 'look for long queries or DDL on the reference, and that the admin holds RELOAD there; verify compares with both stopped instead unless the snapshot mode was asked for',
      cause,
    });
  }
}

/**
 * Opens a consistent snapshot on the reference and returns the GTID position its data stands at.
 * The transaction stays open (the caller's COMMIT ends it; so does closing the connection).
 */
export async function openSnapshot(a: MysqlAdmin, support: SnapshotSupport, lockTimeoutS = SNAPSHOT_LOCK_TIMEOUT_S): Promise<string> {
  await a.session.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  const { plan } = support;
  let position: string;
  if (plan.kind === 'commit-lock') {
    try {
      await runStatements(a, plan.lock(lockTimeoutS), { timeoutMs: (lockTimeoutS + 5) * 1000 });
    } catch (e) {
      await releaseLock(a, plan.unlock);
      throw new SnapshotLockTimeout(a.endpoint.host, lockTimeoutS, e);
    }
    try {
      await a.session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      position = await gtidValue(a, plan.position);
    } finally {
      await releaseLock(a, plan.unlock);
    }
  } else if (plan.kind === 'position-tables') {
    await a.session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const rows = [];
    for (const t of support.tables) rows.push(...(await runStatement(a, plan.rowsQuery(t.name))));
    position = plan.parsePosition(rows);
  } else {
    throw new RemoteError('VERIFY_NO_SNAPSHOT', `${a.endpoint.host} cannot be read in a snapshot: ${plan.why}`);
  }
  // read under the lock, an empty @@gtid_executed is exact: no transaction at all yet. MariaDB's
  // empty gtid_slave_pos tables only say nothing was replicated since they were last cleared.
  if (position === '' && plan.kind !== 'commit-lock') throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} shows no applied GTID in its snapshot: no position to compare at`, { next: 'let it replicate a transaction from the master, then resume' });
  return position;
}

/**
 * UNLOCK TABLES (the snapshot stays open). If that fails the session cannot be trusted to have
 * let go: it is destroyed, and the server drops the lock with the connection, so the reference's
 * applier never stays held.
 */
async function releaseLock(a: MysqlAdmin, unlock: readonly Statement[]): Promise<void> {
  try {
    await runStatements(a, unlock, { timeoutMs: 5_000 });
  } catch {
    a.session.destroy();
  }
}
