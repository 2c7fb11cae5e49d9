import type { QueryOptions, SqlSession } from './admin.js';

/**
 * Bounds every metadata-lock wait of a session on the server: SET SESSION lock_wait_timeout,
 * spelled alike on MariaDB, MySQL and Aurora. A statement that waits longer fails there with
 * error 1205 (MariaDB's RENAME USER excepted: only max_statement_time ends its wait).
 */
export async function boundLockWaits(s: SqlSession, seconds: number, options?: QueryOptions): Promise<void> {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 31_536_000) throw new RangeError(`a lock wait bound is a whole number of seconds from 1, not ${seconds}`);
  await s.query(`SET SESSION lock_wait_timeout = ${seconds}`, [], options);
}
