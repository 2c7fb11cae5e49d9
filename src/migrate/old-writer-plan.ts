/**
 * Pure decisions about step 9 on a migration's old writer (Aurora cannot be made read-only at all;
 * the read-only statements themselves are each dialect's: setReadOnly, beforeRenameOnReadOnly,
 * fullReadOnlyQuery). Table-tested without a server.
 */

/** What step 9 finds on the old writer (read before it acts, so a resume finishes instead of repeating). */
export interface OldWriterObserved {
  /** Aurora: read_only cannot be set, so the write users stay frozen there (see docs/migrate.md, step 9). */
  aurora: boolean;
  /**
   * The replica status names the new writer at or past step 6's position: this step's CHANGE SOURCE
   * ran (after the final-position check). A stopped replication left from before the switch names
   * the same host at an older position and does not count.
   */
  followsNewWriter: boolean;
  /** Both replication threads run. */
  threadsRunning: boolean;
  /** Both replication threads are stopped (neither runs nor connects). */
  threadsStopped: boolean;
  /** Every write user exists under its real name. */
  usersActive: boolean;
  /** The dialect's full read-only (super_read_only on MySQL, read_only on MariaDB). */
  fullReadOnly: boolean;
  /**
   * The old writer (gtid_mode ON) must give the new writer's anonymous transactions GTIDs
   * (gtid-mode-plan.ts).
   */
  assignGtids?: boolean | undefined;
  /**
   * Its channel already stores ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS (read back through the
   * dialect). Measured on 9.7: the setting survives STOP/START REPLICA, a CHANGE REPLICATION
   * SOURCE of other options, RESET REPLICA and a restart; only RESET REPLICA ALL clears it. So it is
   * set once, after the reset and change of source, and again only where it is found missing.
   */
  gtidsAssigned?: boolean | undefined;
}

export type OldWriterAction = 'check-final-position' | 'read-only' | 'reset-and-change-source' | 'stop-replica' | 'assign-gtids' | 'start-replica' | 'thaw-users' | 'full-read-only';

/**
 * Step 9's actions, in order, from what it observed. Replication is set up from the step 6 position
 * only when the replica status does not name the new writer yet: once it does, the position was
 * set and may have advanced, and setting it again would apply transactions twice, so a resume only
 * starts the threads. The GTID assignment is an applier option that MySQL refuses while either
 * thread runs (ER 3081): a resume that finds it missing stops the threads first. The write users
 * are renamed back only where the server can be read-only; the rename puts back the full read-only
 * it lowers, so `full-read-only` is there for a run killed in between.
 */
export function oldWriterActions(o: OldWriterObserved): OldWriterAction[] {
  const tail: OldWriterAction[] = o.aurora ? [] : !o.usersActive ? ['thaw-users'] : o.fullReadOnly ? [] : ['full-read-only'];
  if (!o.followsNewWriter) return ['check-final-position', ...(o.aurora ? [] : (['read-only'] as const)), 'reset-and-change-source', ...(o.assignGtids ? (['assign-gtids'] as const) : []), 'start-replica', ...tail];
  const assign: OldWriterAction[] = o.assignGtids && !o.gtidsAssigned ? [...(o.threadsStopped ? [] : (['stop-replica'] as const)), 'assign-gtids'] : [];
  return [...assign, ...(assign.length > 0 || !o.threadsRunning ? (['start-replica'] as const) : []), ...tail];
}
