import type { BinlogPosition, ChangeSource, ReplicaStatus, Role, Row, ServerVersion } from './admin.js';
import type { Statement } from './statement.js';

/**
 * What differs between MySQL 5.7 / 8.0 / 8.4, Aurora MySQL 2 / 3 and MariaDB, as pure builders
 * and parsers: no I/O here. DialectAdmin runs the statements; table tests check every
 * operation of every dialect without a server.
 */
export type DialectName = 'mysql-5.7' | 'mysql-8.0' | 'mysql-8.4' | 'aurora-mysql-2' | 'aurora-mysql-3' | 'mariadb';

/** How a replica wait ended, read from the wait function's return value. */
export type WaitOutcome = 'reached' | 'timeout' | 'not-replicating';

export interface WaitPlan {
  statement: Statement;
  /** How long the server itself waits, in ms (rounded up where it takes whole seconds). */
  serverWaitMs: number;
  interpret(rows: readonly Row[]): WaitOutcome;
}

export interface Dialect {
  readonly name: DialectName;
  readonly version: ServerVersion;
  /** The failover checker's probe; selects the variable alone (see environment.md's quirk). */
  roleQuery(): Statement;
  parseRole(rows: readonly Row[]): Role;
  /** @@read_only alone, to verify setReadOnly by reading it back. */
  readOnlyQuery(): Statement;
  replicaStatusQuery(): Statement;
  parseReplicaStatus(rows: readonly Row[]): ReplicaStatus | null;
  startReplica(): Statement[];
  stopReplica(): Statement[];
  resetReplicaAll(): Statement[];
  changeSource(source: ChangeSource): Statement[];
  binlogStatusQuery(): Statement;
  /** This server's GTID position as a source, read alone (used when the status row lacks it). */
  gtidPositionQuery(): Statement;
  /**
   * The GTID position that corresponds exactly to a binlog file and offset (MariaDB's
   * BINLOG_GTID_POS), so a busy server's position needs no quiet moment; undefined where absent.
   */
  gtidAtPositionQuery?(file: string, position: number): Statement;
  parseBinlogStatus(rows: readonly Row[]): BinlogStatusRow | null;
  waitForPosition(pos: { file: string; position: number }, timeoutMs: number): WaitPlan;
  waitForGtid(gtidSet: string, timeoutMs: number): WaitPlan;
  /** Throws UnsupportedOperationError where read_only is not the operator's to set (Aurora). */
  setReadOnly(readOnly: boolean): Statement[];
  /**
   * Privileges with which an account still writes after setReadOnly(true): MariaDB's SUPER and
   * READ_ONLY ADMIN; none on MySQL, where super_read_only stops them too.
   */
  readOnlyBypassPrivileges(): readonly string[];
  /**
   * Every transaction this server holds, its own and replicated, as one GTID value (column
   * `gtid`): MySQL @@gtid_executed, MariaDB @@gtid_current_pos.
   */
  appliedGtidQuery(): Statement;
  /**
   * What an errant-transaction check compares (column `gtid`): MySQL @@gtid_executed; MariaDB
   * @@gtid_binlog_state, the last GTID of every (domain, server) ever logged (its position shows
   * one GTID per domain, behind which a write of the replica's own would hide).
   */
  gtidStateQuery(): Statement;
  /** Transactions in the candidate's state that the master's lacks (both from gtidStateQuery). Pure. */
  errantGtids(masterState: string, candidateState: string): string[];
  /** Starts replication so that the applier stops once it has applied exactly `gtid`. */
  startReplicaUntilGtid(gtid: string): Statement[];
  /**
   * True where a GTID replica starts from a position of its own (MariaDB's gtid_slave_pos), which
   * a server whose binlog holds everything it has (a former source, a fresh copy) must first set
   * to @@gtid_binlog_pos; MySQL's auto-position starts from gtid_executed by itself.
   */
  readonly gtidStartFromOwnBinlog: boolean;
  /** Binlog file, offset and GTID set read in one consistent snapshot (MySQL 8.0.14+ log_status); undefined where there is none. */
  consistentPosition(): PositionPlan | undefined;
  /** The variable (column `ro`) that says setReadOnly(true) is complete: MySQL @@super_read_only, MariaDB @@read_only. */
  fullReadOnlyQuery(): Statement;
  /**
   * One row, O(1) in binlog size, read from server variables alone: `gtid`, this server's GTID
   * position as a source (gtidPositionQuery's value), and `ro`, its full read-only state
   * (fullReadOnlyQuery's). Exact once setReadOnly(true) returned: read_only takes the commit
   * lock, so every acknowledged commit is in it and no later one can be.
   */
  writeFenceQuery(): Statement;
  /** Lets the admin RENAME USER on a server setReadOnly(true) made read-only, read_only staying 1 (MySQL lowers super_read_only; nothing elsewhere). */
  beforeRenameOnReadOnly(): Statement[];
  /**
   * Undefined where RENAME USER ignores stored objects' DEFINER; else the global privileges with
   * which it still renames a DEFINER account (orphaning its objects), without which it fails with
   * ER 4006: MySQL 8.0.22-8.1 and Aurora 3 SET_USER_ID, 8.2+ SET_ANY_DEFINER / ALLOW_NONEXISTENT_DEFINER.
   */
  renameDefinerOverridePrivileges(): readonly string[] | undefined;
  /** @@GLOBAL.gtid_mode (column `mode`); undefined where the server has no such mode (MariaDB's replicas apply either kind). */
  gtidModeQuery(): Statement | undefined;
  /**
   * Run after a change of source by position and before START: a GTID_MODE=ON replica then gives
   * the source's anonymous transactions GTIDs of its own server_uuid (LOCAL). Undefined where the
   * server cannot (MySQL < 8.0.23, Aurora 2, MariaDB).
   */
  assignGtidsToAnonymous(): Statement[] | undefined;
  /** Ends another session by its processlist id: KILL CONNECTION, or Aurora's mysql.rds_kill (its master user may not KILL other users' threads). */
  killConnection(id: number): Statement;
  /** True when `have` holds every transaction of `want` (MySQL GTID_SUBSET(want, have); MariaDB: per domain a seq at least as high). Pure. */
  gtidCovers(have: string, want: string): boolean;
  /** True when two GTID values name the same transactions, whatever their order and spacing. Pure. */
  sameGtids(a: string, b: string): boolean;
  /** Transactions of `target` that `applied` lacks (MariaDB: by sequence numbers per domain); null when either is not a GTID value of this engine. Pure. */
  gtidsBehind(target: string, applied: string): number | null;
  /** How a replica that keeps applying is read in a consistent snapshot at an exactly known GTID position (verify's reference). */
  snapshotPosition(): SnapshotPositionPlan;
  /** Empties a server's binary logs and GTID history (RESET BINARY LOGS AND GTIDS / RESET MASTER): only for a fresh copy dbfleet seeds again. */
  resetBinaryLogsAndGtids(): Statement[];
  /** Session settings under which SHOW CREATE USER prints password hashes that survive a text client (MySQL 8.0.17+: as hex). */
  accountExportSession(): Statement[];
  /** True where the server can give or take a physical copy over the MySQL protocol (MySQL 8.0.17+ CLONE plugin). */
  readonly cloneSupported: boolean;
  /**
   * Whether this engine's consistent logical dump with its GTID position briefly takes FLUSH TABLES
   * and FLUSH TABLES WITH READ LOCK on the source (MySQL's mysqldump --single-transaction
   * --set-gtid-purged=ON), which wait for every running query, and make new queries on those
   * tables wait with them, even after the flush gave up. MariaDB's dump takes no lock.
   */
  readonly dumpFlushesTables: boolean;
  /** Run on the recipient: allow the donor, then replace this server's data with its (CLONE INSTANCE); throws UnsupportedOperationError where cloneSupported is false. */
  cloneInstanceFrom(donor: CloneDonor): Statement[];
  /**
   * A read-only server that its administrators may write to, applications still not (MySQL:
   * super_read_only off, read_only stays on; nothing on MariaDB, whose read_only never stops
   * SUPER). For loading a fresh copy as root; setReadOnly(true) ends it.
   */
  letAdminsWrite(): Statement[];
  /**
   * The applier's stored ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS (column `type`: OFF, LOCAL or UUID);
   * undefined where assignGtidsToAnonymous is. On 9.7 it survives STOP/START REPLICA, CHANGE
   * REPLICATION SOURCE of other options and a restart; RESET REPLICA ALL clears it.
   */
  assignedGtidsQuery(): Statement | undefined;
  /** Where this engine's logical dump writes the GTID position it is consistent with, as text to find and parse (MariaDB: mariadb-dump --gtid's gtid_slave_pos line); undefined where loading the dump sets it on the copy (MySQL: --set-gtid-purged, the copy's gtid_executed). Pure. */
  dumpGtidPosition(): DumpGtidPosition | undefined;
}

/**
 * How to read a source's position in one consistent snapshot. SHOW BINARY LOG STATUS reads
 * gtid_executed first and the offset after it, and a transaction is written to the binlog before
 * its GTID joins gtid_executed: on a busy source the offset can lie past transactions its
 * Executed_Gtid_Set lacks (seen on 9.7). performance_schema.log_status holds commits while it is
 * filled, so its three values agree.
 */
export interface PositionPlan {
  statement: Statement;
  /** Null when the server returned no usable row (binary logging off). */
  parse(rows: readonly Row[]): BinlogPosition | null;
}

/** The server a CLONE copies from, and the account (BACKUP_ADMIN on it) the recipient logs in with. */
export interface CloneDonor {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The gtid_slave_pos tables of a MariaDB server, with their storage engines. */
export interface PositionTable {
  name: string;
  engine: string;
}

/**
 * How verify opens a consistent snapshot on a replica that keeps applying and learns the exact
 * GTID position of the data it sees:
 * - `position-tables` (MariaDB): the position tables are read inside the snapshot (they change
 *   in the same transaction as each applied one, when they are InnoDB);
 * - `none`: not possible on this server (then both copies are stopped instead);
 * - `applier-pause` (MySQL): the replica's applier (SQL thread) is paused, so nothing commits
 *   while the snapshot opens and the position variable is read (`pause` on a second connection,
 *   START TRANSACTION WITH CONSISTENT SNAPSHOT and `position` on the snapshot's, then `resume` on
 *   the second one: START/STOP REPLICA end the transaction of the session that runs them).
 *   Readers never wait, unlike under a global read lock.
 */
export type SnapshotPositionPlan =
  | {
      kind: 'position-tables';
      tablesQuery: Statement;
      parseTables(rows: readonly Row[]): PositionTable[];
      rowsQuery(table: string): Statement;
      /** The position from every table's rows together; '' when they hold none. */
      parsePosition(rows: readonly Row[]): string;
    }
  | { kind: 'none'; why: string }
  | { kind: 'applier-pause'; pause: Statement[]; position: Statement; resume: Statement[] };

/** One SHOW MASTER STATUS / SHOW BINARY LOG STATUS row. */
export interface BinlogStatusRow {
  file: string;
  position: number;
  /** Present on MySQL (Executed_Gtid_Set, read atomically with the position); absent on MariaDB. */
  gtidSet?: string | undefined;
}

export type { BinlogPosition };

/** A GTID position written into a dump as text: `grep` is an extended regular expression (grep -E) matching its line, `parse` reads the position out of that line. */
export interface DumpGtidPosition {
  grep: string;
  parse(line: string): string | undefined;
}
