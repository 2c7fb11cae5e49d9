import { describe, expect, it } from 'vitest';
import type { ReplicaStatus, Row } from '../../src/mysql/admin.js';
import { parseReplicaStatus } from '../../src/mysql/replica-status.js';

// Rows as mysql2 returns them: text columns as strings, BIGINT/INT columns as numbers, NULL as null.

/** MySQL 8.0.36, SHOW REPLICA STATUS, GTID auto-positioning, caught up. */
const MYSQL_80_REPLICA: Row = {
  Replica_IO_State: 'Waiting for source to send event',
  Source_Host: '10.0.1.5',
  Source_User: 'repl',
  Source_Port: 3306,
  Connect_Retry: 60,
  Source_Log_File: 'binlog.000012',
  Read_Source_Log_Pos: 48213,
  Relay_Log_File: 'db-2-relay-bin.000004',
  Relay_Log_Pos: 1208,
  Relay_Source_Log_File: 'binlog.000012',
  Replica_IO_Running: 'Yes',
  Replica_SQL_Running: 'Yes',
  Replicate_Do_DB: '',
  Replicate_Ignore_DB: '',
  Replicate_Do_Table: '',
  Replicate_Ignore_Table: '',
  Replicate_Wild_Do_Table: '',
  Replicate_Wild_Ignore_Table: '',
  Last_Errno: 0,
  Last_Error: '',
  Skip_Counter: 0,
  Exec_Source_Log_Pos: 48213,
  Relay_Log_Space: 1592,
  Until_Condition: 'None',
  Until_Log_File: '',
  Until_Log_Pos: 0,
  Source_SSL_Allowed: 'No',
  Source_SSL_CA_File: '',
  Source_SSL_CA_Path: '',
  Source_SSL_Cert: '',
  Source_SSL_Cipher: '',
  Source_SSL_Key: '',
  Seconds_Behind_Source: 0,
  Source_SSL_Verify_Server_Cert: 'No',
  Last_IO_Errno: 0,
  Last_IO_Error: '',
  Last_SQL_Errno: 0,
  Last_SQL_Error: '',
  Replicate_Ignore_Server_Ids: '',
  Source_Server_Id: 1,
  Source_UUID: '4a3c6c1e-2b4d-11ef-9b1f-0242ac120002',
  Source_Info_File: 'mysql.slave_master_info',
  SQL_Delay: 0,
  SQL_Remaining_Delay: null,
  Replica_SQL_Running_State: 'Replica has read all relay log; waiting for more updates',
  Source_Retry_Count: 86400,
  Source_Bind: '',
  Last_IO_Error_Timestamp: '',
  Last_SQL_Error_Timestamp: '',
  Source_SSL_Crl: '',
  Source_SSL_Crlpath: '',
  Retrieved_Gtid_Set: '4a3c6c1e-2b4d-11ef-9b1f-0242ac120002:1-120',
  Executed_Gtid_Set: '4a3c6c1e-2b4d-11ef-9b1f-0242ac120002:1-120,\n9b2f1a10-2b4d-11ef-8c41-0242ac120003:1-3',
  Auto_Position: 1,
  Replicate_Rewrite_DB: '',
  Channel_Name: '',
  Source_TLS_Version: '',
  Source_public_key_path: '',
  Get_Source_public_key: 1,
  Network_Namespace: '',
};

/** MySQL 5.7 (and Aurora MySQL 2), SHOW SLAVE STATUS, by position, IO thread failing to connect. */
const MYSQL_57_SLAVE: Row = {
  Slave_IO_State: 'Connecting to master',
  Master_Host: 'db-1.internal',
  Master_User: 'repl',
  Master_Port: 3306,
  Connect_Retry: 60,
  Master_Log_File: 'mysql-bin.000007',
  Read_Master_Log_Pos: 154,
  Relay_Log_File: 'relay-bin.000002',
  Relay_Log_Pos: 320,
  Relay_Master_Log_File: 'mysql-bin.000007',
  Slave_IO_Running: 'Connecting',
  Slave_SQL_Running: 'Yes',
  Last_Errno: 0,
  Last_Error: '',
  Exec_Master_Log_Pos: 154,
  Seconds_Behind_Master: null,
  Last_IO_Errno: 2003,
  Last_IO_Error: "error connecting to master 'repl@db-1.internal:3306' - retry-time: 60  retries: 3",
  Last_SQL_Errno: 0,
  Last_SQL_Error: '',
  Master_Server_Id: 0,
  Master_UUID: '',
  Retrieved_Gtid_Set: '',
  Executed_Gtid_Set: '',
  Auto_Position: 0,
  Channel_Name: '',
};

/** MariaDB 10.11, SHOW ALL SLAVES STATUS, GTID slave_pos, SQL thread stopped on an error. */
const MARIADB_ALL_SLAVES: Row = {
  Connection_name: '',
  Slave_SQL_State: '',
  Slave_IO_State: 'Waiting for master to send event',
  Master_Host: '127.77.3.4',
  Master_User: 'repl',
  Master_Port: 3306,
  Connect_Retry: 60,
  Master_Log_File: 'bin.000001',
  Read_Master_Log_Pos: 2210,
  Relay_Log_File: 'relay.000002',
  Relay_Log_Pos: 912,
  Relay_Master_Log_File: 'bin.000001',
  Slave_IO_Running: 'Yes',
  Slave_SQL_Running: 'No',
  Last_Errno: 1062,
  Last_Error: "Could not execute Write_rows_v1 event on table app.t; Duplicate entry '1' for key 'PRIMARY'",
  Exec_Master_Log_Pos: 1650,
  Seconds_Behind_Master: null,
  Last_IO_Errno: 0,
  Last_IO_Error: '',
  Last_SQL_Errno: 1062,
  Last_SQL_Error: "Could not execute Write_rows_v1 event on table app.t; Duplicate entry '1' for key 'PRIMARY'",
  Master_Server_Id: 1,
  Using_Gtid: 'Slave_Pos',
  Gtid_IO_Pos: '0-1-9',
  Parallel_Mode: 'optimistic',
  SQL_Delay: 0,
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: '',
  Retried_transactions: 0,
  Max_relay_log_size: 1073741824,
  Executed_log_entries: 31,
  Slave_received_heartbeats: 0,
  Slave_heartbeat_period: '30.000',
  Gtid_Slave_Pos: '0-1-7',
};

/** MariaDB, plain SHOW REPLICA STATUS: still Slave_/Master_ names, no Gtid_Slave_Pos column. */
const MARIADB_SHOW_REPLICA: Row = {
  Slave_IO_State: '',
  Master_Host: '127.0.0.1',
  Master_User: 'x',
  Master_Port: 3306,
  Master_Log_File: 'bin.000001',
  Read_Master_Log_Pos: 4,
  Relay_Master_Log_File: 'bin.000001',
  Slave_IO_Running: 'No',
  Slave_SQL_Running: 'No',
  Exec_Master_Log_Pos: 4,
  Seconds_Behind_Master: null,
  Last_IO_Errno: 0,
  Last_IO_Error: '',
  Last_SQL_Errno: 0,
  Last_SQL_Error: '',
  Using_Gtid: 'No',
  Gtid_IO_Pos: '',
};

describe('parseReplicaStatus', () => {
  it.each<[string, Row, ReplicaStatus]>([
    [
      'MySQL 8.0 SHOW REPLICA STATUS',
      MYSQL_80_REPLICA,
      {
        sourceHost: '10.0.1.5',
        sourcePort: 3306,
        ioRunning: 'yes',
        sqlRunning: true,
        secondsBehind: 0,
        sourceLogFile: 'binlog.000012',
        readSourceLogPos: 48213,
        relaySourceLogFile: 'binlog.000012',
        execSourceLogPos: 48213,
        lastIoError: '',
        lastSqlError: '',
        lastIoErrno: 0,
        lastSqlErrno: 0,
        gtidExecuted: '4a3c6c1e-2b4d-11ef-9b1f-0242ac120002:1-120,9b2f1a10-2b4d-11ef-8c41-0242ac120003:1-3',
        gtidRetrieved: '4a3c6c1e-2b4d-11ef-9b1f-0242ac120002:1-120',
        usingGtid: true,
      },
    ],
    [
      'MySQL 5.7 / Aurora 2 SHOW SLAVE STATUS',
      MYSQL_57_SLAVE,
      {
        sourceHost: 'db-1.internal',
        sourcePort: 3306,
        ioRunning: 'connecting',
        sqlRunning: true,
        secondsBehind: null,
        sourceLogFile: 'mysql-bin.000007',
        readSourceLogPos: 154,
        relaySourceLogFile: 'mysql-bin.000007',
        execSourceLogPos: 154,
        lastIoError: "error connecting to master 'repl@db-1.internal:3306' - retry-time: 60  retries: 3",
        lastSqlError: '',
        lastIoErrno: 2003,
        lastSqlErrno: 0,
        gtidExecuted: '',
        gtidRetrieved: '',
        usingGtid: false,
      },
    ],
    [
      'MariaDB SHOW ALL SLAVES STATUS',
      MARIADB_ALL_SLAVES,
      {
        sourceHost: '127.77.3.4',
        sourcePort: 3306,
        ioRunning: 'yes',
        sqlRunning: false,
        secondsBehind: null,
        sourceLogFile: 'bin.000001',
        readSourceLogPos: 2210,
        relaySourceLogFile: 'bin.000001',
        execSourceLogPos: 1650,
        lastIoError: '',
        lastSqlError: "Could not execute Write_rows_v1 event on table app.t; Duplicate entry '1' for key 'PRIMARY'",
        lastIoErrno: 0,
        lastSqlErrno: 1062,
        gtidExecuted: '0-1-7',
        gtidRetrieved: '0-1-9',
        usingGtid: true,
      },
    ],
    [
      'MariaDB SHOW REPLICA STATUS (no Gtid_Slave_Pos)',
      MARIADB_SHOW_REPLICA,
      {
        sourceHost: '127.0.0.1',
        sourcePort: 3306,
        ioRunning: 'no',
        sqlRunning: false,
        secondsBehind: null,
        sourceLogFile: 'bin.000001',
        readSourceLogPos: 4,
        relaySourceLogFile: 'bin.000001',
        execSourceLogPos: 4,
        lastIoError: '',
        lastSqlError: '',
        lastIoErrno: 0,
        lastSqlErrno: 0,
        gtidExecuted: '',
        gtidRetrieved: '',
        usingGtid: false,
      },
    ],
  ])('normalises %s', (_label, row, expected) => {
    expect(parseReplicaStatus([row])).toEqual(expected);
  });

  it('returns null when no replication is configured', () => {
    expect(parseReplicaStatus([])).toBeNull();
  });

  it('picks the default channel / connection among several', () => {
    const named = { ...MARIADB_ALL_SLAVES, Connection_name: 'other', Master_Host: '10.9.9.9' };
    expect(parseReplicaStatus([named, MARIADB_ALL_SLAVES])?.sourceHost).toBe('127.77.3.4');
    const channel = { ...MYSQL_80_REPLICA, Channel_Name: 'group_replication_applier', Source_Host: '' };
    expect(parseReplicaStatus([channel, MYSQL_80_REPLICA])?.sourceHost).toBe('10.0.1.5');
  });

  it('reads positions that arrive as strings (BIGINT beyond 2^53 or bigNumberStrings) and MariaDB "Preparing"', () => {
    const s = parseReplicaStatus([{ ...MARIADB_ALL_SLAVES, Read_Master_Log_Pos: '2210', Exec_Master_Log_Pos: '1650', Seconds_Behind_Master: '12', Slave_IO_Running: 'Preparing' }]);
    expect(s).toMatchObject({ readSourceLogPos: 2210, execSourceLogPos: 1650, secondsBehind: 12, ioRunning: 'connecting' });
  });

  it('treats MariaDB Using_Gtid Current_Pos as GTID replication', () => {
    expect(parseReplicaStatus([{ ...MARIADB_ALL_SLAVES, Using_Gtid: 'Current_Pos' }])?.usingGtid).toBe(true);
  });

  it('refuses a row that is not a replica status row', () => {
    expect(() => parseReplicaStatus([{ File: 'bin.000001', Position: 4 }])).toThrow(/unexpected/);
    expect(() => parseReplicaStatus([{ ...MYSQL_80_REPLICA, Read_Source_Log_Pos: 'lots' }])).toThrow(/unexpected/);
  });
});
