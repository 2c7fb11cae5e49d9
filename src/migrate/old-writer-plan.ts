import type { Flavor } from '../mysql/admin.js';

/**
 * Pure decisions about the read-only state of a migration's old writer, per server flavor
 * (MySQL 8 and MariaDB differ; Aurora cannot be made read-only at all). Table-tested without a
 * server: the MySQL 8 and Aurora cases cannot run on the sandbox's MariaDB.
 */

/** Plain read_only: the write users cannot write; the admin (SUPER / READ_ONLY ADMIN) still can. */
export const READ_ONLY_ON = 'SET GLOBAL read_only = 1';

/**
 * What must run before renaming an account on a read-only MySQL/MariaDB server. MySQL 8's
 * super_read_only=1 (set by step 9) refuses RENAME USER even to the admin (error 1290), so it is
 * lowered; read_only stays 1 (lowering super_read_only does not change it), so the write users
 * still cannot write. MariaDB has no
 * super_read_only; Aurora's read-only state is not the operator's.
 */
export function beforeRenameOnReadOnly(flavor: Flavor): string[] {
  return flavor === 'mysql' ? ['SET GLOBAL super_read_only = 0'] : [];
}

/** The variable that says the dialect's full read-only (setReadOnly(true)) is in place. */
export function fullReadOnlyQuery(flavor: Flavor): string {
  return flavor === 'mysql' ? 'SELECT @@GLOBAL.super_read_only AS ro' : 'SELECT @@GLOBAL.read_only AS ro';
}

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
  /** The dialect's full read-only (super_read_only on MySQL 8, read_only on MariaDB). */
  fullReadOnly: boolean;
}

export type OldWriterAction = 'check-final-position' | 'read-only' | 'reset-and-change-source' | 'start-replica' | 'thaw-users' | 'full-read-only';

/**
 * Step 9's actions, in order, from what it observed. Replication is set up from the step 6 position
 * only when the replica status does not name the new writer yet: once it does, the position was
 * set and may have advanced, and setting it again would apply transactions twice, so a resume only
 * starts the threads. The write users are renamed back only where the server can be read-only.
 */
export function oldWriterActions(o: OldWriterObserved): OldWriterAction[] {
  // The rename may lower super_read_only (MySQL 8), so the full read-only always follows it.
  const tail: OldWriterAction[] = o.aurora ? [] : !o.usersActive ? ['thaw-users', 'full-read-only'] : o.fullReadOnly ? [] : ['full-read-only'];
  if (!o.followsNewWriter) return ['check-final-position', ...(o.aurora ? [] : (['read-only'] as const)), 'reset-and-change-source', 'start-replica', ...tail];
  return [...(o.threadsRunning ? [] : (['start-replica'] as const)), ...tail];
}
