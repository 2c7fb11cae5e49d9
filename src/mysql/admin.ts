/**
 * The narrow MySQL interface dbfleet owns. Everything above src/mysql talks to servers through
 * these types only; mysql2 stays inside the adapter.
 */
export type Flavor = 'mysql' | 'mariadb' | 'aurora-mysql';

export interface ServerVersion {
  flavor: Flavor;
  /** e.g. [8, 0, 36]; Aurora reports its MySQL compatibility version here. */
  major: number;
  minor: number;
  patch: number;
  /** The raw @@version (and @@aurora_version where present). */
  raw: string;
  auroraVersion?: string | undefined;
}

export interface Endpoint {
  host: string;
  port: number;
  /** When set, connect over this unix socket instead of TCP. */
  socketPath?: string | undefined;
  user: string;
  password?: string | undefined;
  database?: string | undefined;
}

export interface Timeouts {
  connectTimeoutMs: number;
  /** Default per-query timeout; each call may override it. */
  queryTimeoutMs: number;
}

export interface QueryOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Secret values (passwords) inlined in this statement. The session scrubs them from every error
   * it raises; callers never log the SQL text of such a statement.
   */
  secrets?: readonly string[];
  /** What errors show instead of the SQL text: the statement with its secrets masked. */
  redactedSql?: string;
  /**
   * For a statement whose effect lasts (SET GLOBAL read_only, a rename): when it times out or is
   * cancelled, the session kills it on the server from a fresh connection (KILL of its thread,
   * bounded by the connect timeout) before the query rejects, so it cannot take effect later; the
   * error says whether that worked (details.kill: killed, ended or failed). Without it, the
   * connection is only dropped, and the server finishes the statement when it can.
   */
  killOnTimeout?: boolean;
}

export type Row = Record<string, unknown>;

/** One connection. Every query has a deadline; a hung server fails the query, never hangs it. */
export interface SqlSession {
  query(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<Row[]>;
  /** For INSERT/UPDATE/DELETE: affected rows and insert id. */
  execute(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<{ affectedRows: number; insertId: number }>;
  /** Graceful close with a deadline; destroys the socket if the server does not answer. */
  close(): Promise<void>;
  /** Drops the socket at once. */
  destroy(): void;
  /** The server's connection id (for KILL). */
  readonly threadId: number;
}

export type Role = 'writer' | 'reader';

/** A binlog coordinate on a source. */
/** What a switchover reads from a master it made read-only. */
export interface WriteFence {
  gtidSet: string;
  fullyReadOnly: boolean;
}

export interface BinlogPosition {
  file: string;
  position: number;
  /** MySQL: @@gtid_executed; MariaDB: @@gtid_binlog_pos. Empty when GTID is off. */
  gtidSet?: string | undefined;
}

/** Replica status normalised across MySQL (Replica_ / Slave_ columns) and MariaDB. */
export interface ReplicaStatus {
  sourceHost: string;
  sourcePort: number;
  ioRunning: 'yes' | 'no' | 'connecting';
  sqlRunning: boolean;
  secondsBehind: number | null;
  /** Coordinates of the source binlog read by the IO thread. */
  sourceLogFile: string;
  readSourceLogPos: number;
  /** Coordinates of the source binlog applied by the SQL thread. */
  relaySourceLogFile: string;
  execSourceLogPos: number;
  lastIoError: string;
  lastSqlError: string;
  lastIoErrno: number;
  lastSqlErrno: number;
  /**
   * GTIDs applied by this replica: MySQL Executed_Gtid_Set, MariaDB Gtid_Slave_Pos (from SHOW ALL
   * SLAVES STATUS; Gtid_IO_Pos when that column is absent). Whitespace removed; empty when unknown.
   */
  gtidExecuted: string;
  /** GTIDs received by the IO thread: MySQL Retrieved_Gtid_Set, MariaDB Gtid_IO_Pos. */
  gtidRetrieved: string;
  usingGtid: boolean;
}

export interface ChangeSourceByPosition {
  kind: 'position';
  host: string;
  port: number;
  user: string;
  password: string;
  file: string;
  position: number;
  /** Encrypt the replication connection (SOURCE_SSL / MASTER_SSL / the rds_* ssl argument). */
  ssl?: boolean;
}

export interface ChangeSourceByGtid {
  kind: 'gtid';
  host: string;
  port: number;
  user: string;
  password: string;
  /** MariaDB only: the gtid_slave_pos to start from (e.g. taken from a dump). */
  startGtid?: string;
  ssl?: boolean;
}

export type ChangeSource = ChangeSourceByPosition | ChangeSourceByGtid;

/** Administrative operations, each with its own deadline, on one server. */
export interface MysqlAdmin {
  readonly endpoint: Omit<Endpoint, 'password'>;
  readonly version: ServerVersion;
  /** Runs the engine's role query: @@innodb_read_only on Aurora, @@read_only otherwise. */
  role(options?: QueryOptions): Promise<Role>;
  replicaStatus(options?: QueryOptions): Promise<ReplicaStatus | null>;
  startReplica(options?: QueryOptions): Promise<void>;
  stopReplica(options?: QueryOptions): Promise<void>;
  resetReplicaAll(options?: QueryOptions): Promise<void>;
  changeSource(source: ChangeSource, options?: QueryOptions): Promise<void>;
  /**
   * Makes this server a GTID replica of `source`, starting after every transaction its own binlog
   * holds: for a former source, or a fresh copy. (MariaDB sets gtid_slave_pos to
   * @@gtid_binlog_pos first; MySQL's auto-position does it by itself.) Never for a copy seeded
   * from a dump, whose position is not in its binlog.
   */
  changeSourceFromOwnBinlog(source: Omit<ChangeSourceByGtid, 'kind' | 'startGtid'>, options?: QueryOptions): Promise<void>;
  /** Every transaction this server holds, its own and replicated (the dialect's appliedGtidQuery). */
  appliedGtid(options?: QueryOptions): Promise<string>;
  /** Current binlog coordinates of this server as a source. */
  binlogPosition(options?: QueryOptions): Promise<BinlogPosition>;
  /** Waits until this replica has applied the given source position; throws TimeoutError. */
  waitForPosition(pos: { file: string; position: number }, timeoutMs: number, options?: QueryOptions): Promise<void>;
  /** Waits until this replica has applied the given GTID set; throws TimeoutError. */
  waitForGtid(gtidSet: string, timeoutMs: number, options?: QueryOptions): Promise<void>;
  setReadOnly(readOnly: boolean, options?: QueryOptions): Promise<void>;
  /** The GTID position and full read-only state in one O(1) read (the dialect's writeFenceQuery). */
  writeFence(options?: QueryOptions): Promise<WriteFence>;
  /** The underlying session, for callers that need plain queries. */
  readonly session: SqlSession;
  close(): Promise<void>;
}
