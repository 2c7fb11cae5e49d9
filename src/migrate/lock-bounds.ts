import type { MysqlAdmin, QueryOptions } from '../mysql/admin.js';
import type { MigrateConfig } from './migrate-schema.js';

/**
 * Bounds on the lock waits of the migration's statements (cutover.lock_wait_s). Measured on
 * MariaDB 10.11 and MySQL 9.7: SET GLOBAL read_only = 1 waits behind a LOCK TABLES ... WRITE or a
 * running write statement of another session (not behind LOCK TABLES ... READ, an open
 * transaction, or FLUSH TABLES WITH READ LOCK), and RENAME USER waits behind FLUSH TABLES WITH READ
 * LOCK or a LOCK TABLES mysql.user READ. MySQL ends every one of those waits at lock_wait_timeout
 * (error 1205); MariaDB ends read_only's there, but not RENAME USER's: max_statement_time does.
 */

/** Client-side time beyond the server's bound, so the server's own error normally arrives first. */
export const CLIENT_GRACE_MS = 1_000;

export interface LockBound {
  /** The server-side bound, whole seconds. */
  seconds: number;
  /**
   * For a statement of the write window that can wait on a lock: its client-side deadline, at
   * which it is killed on the server (a rename or a read_only change given up on must not take
   * effect later, behind the undo's back).
   */
  query: Readonly<QueryOptions>;
}

export function lockBound(cutover: Pick<MigrateConfig['cutover'], 'lock_wait_s'>): LockBound {
  return Object.freeze({ seconds: cutover.lock_wait_s, query: Object.freeze({ timeoutMs: cutover.lock_wait_s * 1000 + CLIENT_GRACE_MS, killOnTimeout: true }) });
}

export { boundLockWaits } from '../mysql/lock-wait-bound.js';

/**
 * Runs `work` (RENAME USER statements) with MariaDB's max_statement_time at the bound, where
 * lock_wait_timeout does not end the rename's wait; elsewhere `work` alone. A session variable,
 * set and reset around the work, and not `SET STATEMENT ... FOR RENAME USER`: MariaDB writes that
 * prefix to the binlog with the rename, and a MySQL replica (Aurora) could not parse it.
 */
export async function underStatementBound<T>(a: MysqlAdmin, b: LockBound, work: () => Promise<T>): Promise<T> {
  if (a.version.flavor !== 'mariadb') return work();
  const q = { timeoutMs: b.query.timeoutMs };
  await a.session.query(`SET SESSION max_statement_time = ${wholeSeconds(b.seconds)}`, [], q);
  let out: T;
  try {
    out = await work();
  } catch (e) {
    // the session may be what failed: the undo runs on a fresh one (cutover-phases.ts) either way
    await a.session.query('SET SESSION max_statement_time = DEFAULT', [], q).catch(() => undefined);
    throw e;
  }
  await a.session.query('SET SESSION max_statement_time = DEFAULT', [], q);
  return out;
}

function wholeSeconds(s: number): number {
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`a lock bound is a whole number of seconds from 1, not ${s}`);
  return s;
}
