import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';

/**
 * Test-only replication statements, spelled per engine: what tests do to a replica by hand to
 * cause a refusal (lag, a stopped thread, drift). dbfleet's own statements come from the dialects;
 * these are the operator's hands. MariaDB 10.11 keeps the SLAVE/MASTER words; MySQL 9.7 rejects
 * them (REPLICA/SOURCE only).
 */
export interface ReplicationSql {
  /** Delays the applier by `seconds` (0 turns the delay off). */
  delay(seconds: number): string;
  stopIoThread: string;
  startIoThread: string;
  stopSqlThread: string;
  startSqlThread: string;
  /** The status counter of STOP REPLICA / STOP SLAVE statements run on a server. */
  stopCounter: string;
  /**
   * Statements that run `sql` on a read-only replica without logging it (a row only that copy
   * has: drift). MySQL's super_read_only stops even the admin, so it is lifted around the write
   * (read_only stays on).
   */
  unloggedWrite(sql: string): string[];
  /** Statements that run `sql` on a read-only replica, logged: a transaction only that copy has (errant). */
  loggedWrite(sql: string): string[];
}

const MARIADB: ReplicationSql = {
  delay: (s) => `STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = ${Math.trunc(s)}; START SLAVE`,
  stopIoThread: 'STOP SLAVE IO_THREAD',
  startIoThread: 'START SLAVE IO_THREAD',
  stopSqlThread: 'STOP SLAVE SQL_THREAD',
  startSqlThread: 'START SLAVE SQL_THREAD',
  stopCounter: 'Com_stop_slave',
  unloggedWrite: (sql) => ['SET SESSION sql_log_bin = 0', sql],
  loggedWrite: (sql) => [sql],
};

const MYSQL: ReplicationSql = {
  delay: (s) => `STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY = ${Math.trunc(s)}; START REPLICA`,
  stopIoThread: 'STOP REPLICA IO_THREAD',
  startIoThread: 'START REPLICA IO_THREAD',
  stopSqlThread: 'STOP REPLICA SQL_THREAD',
  startSqlThread: 'START REPLICA SQL_THREAD',
  stopCounter: 'Com_replica_stop',
  unloggedWrite: (sql) => ['SET GLOBAL super_read_only = 0', 'SET SESSION sql_log_bin = 0', sql, 'SET GLOBAL super_read_only = 1'],
  loggedWrite: (sql) => ['SET GLOBAL super_read_only = 0', sql, 'SET GLOBAL super_read_only = 1'],
};

export function replicationSql(kind: EngineKind): ReplicationSql {
  return kind === 'mysql' ? MYSQL : MARIADB;
}
