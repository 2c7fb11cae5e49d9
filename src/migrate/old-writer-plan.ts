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
  threadsRunning: boolean;
  /** Every write user exists under its real name. */
  usersActive: boolean;
  /** The dialect's full read-only (super_read_only on MySQL, read_only on MariaDB). */
  fullReadOnly: boolean;
  /**
   * The old writer (gtid_mode ON) must give the new writer's anonymous transactions GTIDs
   * (gtid-mode-plan.ts): set before every start of its applier, which a change of source clears.
   */
  assignGtids?: boolean | undefined;
}

export type OldWriterAction = 'check-final-position' | 'read-only' | 'reset-and-change-source' | 'assign-gtids' | 'start-replica' | 'thaw-users' | 'full-read-only';

/**
 * Step 9's actions, in order, from what it observed. Replication is set up from the step 6 position
 * only when the replica status does not name the new writer yet: once it does, the position was
 * set and may have advanced, and setting it again would apply transactions twice, so a resume only
 * starts the threads. The write users are renamed back only where the server can be read-only.
 */
export function oldWriterActions(o: OldWriterObserved): OldWriterAction[] {
  // The rename puts back the full read-only it lowers (MySQL's super_read_only); `full-read-only` is for a run killed in between.
  const tail: OldWriterAction[] = o.aurora ? [] : !o.usersActive ? ['thaw-users'] : o.fullReadOnly ? [] : ['full-read-only'];
  const start: OldWriterAction[] = o.assignGtids ? ['assign-gtids', 'start-replica'] : ['start-replica'];
  if (!o.followsNewWriter) return ['check-final-position', ...(o.aurora ? [] : (['read-only'] as const)), 'reset-and-change-source', ...start, ...tail];
  return [...(o.threadsRunning ? [] : start), ...tail];
}
