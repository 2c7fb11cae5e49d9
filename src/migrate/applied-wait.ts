import type { MysqlAdmin } from '../mysql/admin.js';
import { dialectOf } from './migrate-connect.js';
import { gtidModeOf } from './gtid-mode-read.js';
import { applied, comparePositions } from './replication-checks.js';
import type { RecordedPosition } from './runbook.js';

/** How long the new writer's I/O thread may take to have read the final position before the GTID wait gives way to the position wait (ms). */
const READ_WAIT_MS = 1_000;

/**
 * Waits until the new writer `to` has applied the old writer's position `pos`, and says how.
 *
 * By GTID where that is exact: both servers run gtid_mode = ON (every transaction of the old
 * writer carries its GTID, none is anonymous) and `to`'s I/O thread has read the old writer's
 * binlog up to `pos` (Read_Source_Log_Pos moves as it reads). Every transaction up to `pos` is
 * then in its relay log, so in Retrieved_Gtid_Set, and WAIT_FOR_EXECUTED_GTID_SET(retrieved)
 * returns as the last of them commits. (Waiting for the old writer's whole GTID set instead would
 * wait for ever for transactions of it that are not in the stream: its history from before the
 * channel's start position, or one a rollback left on that side only; seen on the sandbox after
 * every rollback.) Otherwise it waits for the binlog position, which is right everywhere but late
 * on a multi-threaded MySQL applier (replica_parallel_workers 4 by default since 8.0.27): its
 * applied position moves only at each checkpoint (replica_checkpoint_period 300 ms). Measured on
 * the MySQL 9.7 sandbox: SOURCE_POS_WAIT 281-285 ms against 11-14 ms for WAIT_FOR_EXECUTED_GTID_SET
 * on the same transaction.
 */
export async function waitApplied(from: MysqlAdmin, to: MysqlAdmin, pos: RecordedPosition, timeoutMs: number, sleep: (ms: number) => Promise<void>): Promise<'already' | 'gtid' | 'position'> {
  let st = await to.replicaStatus();
  if (applied(st, pos)) return 'already';
  if ((await gtidModeOf(to)) === 'ON' && (await gtidModeOf(from)) === 'ON') {
    const until = performance.now() + Math.min(READ_WAIT_MS, timeoutMs);
    const hasRead = (s: typeof st): boolean => s !== null && comparePositions({ file: s.sourceLogFile, position: s.readSourceLogPos }, pos) >= 0;
    while (st && st.ioRunning === 'yes' && !hasRead(st) && performance.now() < until) {
      await sleep(2);
      st = await to.replicaStatus();
    }
    if (st && hasRead(st) && st.gtidRetrieved !== '') {
      if (!dialectOf(to).gtidCovers(st.gtidExecuted, st.gtidRetrieved)) await to.waitForGtid(st.gtidRetrieved, timeoutMs);
      return 'gtid';
    }
  }
  await to.waitForPosition(pos, timeoutMs);
  return 'position';
}
