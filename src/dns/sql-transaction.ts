import { DbfleetError, RemoteError } from '../core/errors.js';
import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import { ConflictError } from './dns-errors.js';

export interface TransactionOptions {
  /** Per-statement deadline. */
  timeoutMs: number;
  /** InnoDB row-lock wait before a concurrent writer gives up (whole seconds, >= 1). */
  lockWaitSeconds: number;
}

/** Server error numbers that mean "another transaction got there first". */
const LOCK_WAIT_TIMEOUT = 1205;
const DEADLOCK = 1213;

/**
 * Runs `work` in one InnoDB transaction on a dedicated session: COMMIT when it returns, ROLLBACK
 * when it throws. A lock wait timeout or deadlock becomes a ConflictError (someone else was
 * changing the same records). If ROLLBACK itself fails the session is destroyed, so the server
 * rolls back on disconnect instead of leaving locks held by a half-open transaction.
 */
export async function inTransaction<T>(session: SqlSession, options: TransactionOptions, work: (tx: SqlSession) => Promise<T>): Promise<T> {
  const q: QueryOptions = { timeoutMs: options.timeoutMs };
  const lockWait = Math.max(1, Math.floor(options.lockWaitSeconds));
  await session.query(`SET SESSION innodb_lock_wait_timeout = ${lockWait}`, [], q);
  await session.query('START TRANSACTION', [], q);
  let result: T;
  try {
    result = await work(session);
  } catch (e) {
    await rollback(session, options.timeoutMs);
    throw asConflict(e) ?? e;
  }
  try {
    await session.query('COMMIT', [], q);
  } catch (e) {
    session.destroy();
    const conflict = asConflict(e);
    if (conflict) throw conflict;
    throw new RemoteError('DNS_COMMIT_UNKNOWN', `COMMIT did not complete: ${e instanceof Error ? e.message : String(e)}; the change may or may not have been applied`, {
      cause: e,
      next: 'read the records back (dbfleet dns show NAME) before retrying',
    });
  }
  return result;
}

async function rollback(session: SqlSession, timeoutMs: number): Promise<void> {
  try {
    await session.query('ROLLBACK', [], { timeoutMs });
  } catch {
    session.destroy();
  }
}

/** The server error number behind a translated error, if any. */
export function serverErrno(e: unknown): number | undefined {
  if (e instanceof DbfleetError && typeof e.details['errno'] === 'number') return e.details['errno'];
  const direct = (e as { errno?: unknown } | undefined)?.errno;
  return typeof direct === 'number' ? direct : undefined;
}

function asConflict(e: unknown): ConflictError | undefined {
  const errno = serverErrno(e);
  if (errno === LOCK_WAIT_TIMEOUT) return new ConflictError('another writer held the records too long (lock wait timeout); nothing was changed', { cause: e });
  if (errno === DEADLOCK) return new ConflictError('a concurrent change to the same records deadlocked with this one; nothing was changed', { cause: e });
  return undefined;
}
