import { RemoteError } from '../../core/errors.js';
import { dialectOf, runStatements } from '../engine/admin-dialect.js';
import type { HeldReplica } from './held-replica.js';

/**
 * Runs a stopped replica up to exactly `position` (MariaDB START SLAVE UNTIL master_gtid_pos,
 * MySQL START REPLICA UNTIL SQL_AFTER_GTIDS) and waits until it has stopped there. `signal`
 * cancels it (the query under way is given up on and killed on the server); from the moment the
 * UNTIL is sent until its stop is seen, the replica is marked as possibly still running up to
 * the position (`untilPending`), whatever this call then throws.
 */
export async function runToPosition(h: HeldReplica, position: string, timeoutMs: number, signal?: AbortSignal, hint = ''): Promise<void> {
  const a = h.admin;
  const d = dialectOf(a);
  const o = { ...(signal ? { signal } : {}), killOnTimeout: true };
  // stopped exactly there already (a shard without a transaction yet: both at the empty set)
  if (d.sameGtids(await a.appliedGtid(o), position)) return;
  h.untilPending = true;
  await runStatements(a, d.startReplicaUntilGtid(position), signal ? { signal } : {});
  // first reach the position (the SQL thread may not have started yet, so "stopped" alone proves nothing)
  await a.waitForGtid(position, timeoutMs, o);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await a.replicaStatus(o);
    if (s && !s.sqlRunning) {
      h.untilPending = false;
      if (s.lastSqlErrno !== 0) {
        throw new RemoteError('VERIFY_REPLICATION_ERROR', `${a.endpoint.host}: replication stopped with an error: ${s.lastSqlError}`, { next: 'fix that replication error on it (its status shows it), then resume' });
      }
      const at = await a.appliedGtid(o);
      if (!d.sameGtids(at, position)) throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} stopped at ${at}, not at ${position}${hint}; compare again`, { retryable: true, next: 'resume (verify compares again at a new position)' });
      return;
    }
    if (Date.now() > deadline) {
      throw new RemoteError('VERIFY_TIMEOUT', `${a.endpoint.host} reached ${position} but did not stop there within ${timeoutMs} ms`, { retryable: true, next: 'check its replication status; resume to compare again' });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
