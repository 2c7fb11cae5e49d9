import type { ReplicaStatus, Row } from './admin.js';
import { asGtidSet, asNumber, asNumberOrNull, asText, pick, unexpected } from './row-values.js';

/**
 * Normalises a SHOW REPLICA STATUS / SHOW SLAVE STATUS / SHOW ALL SLAVES STATUS row into
 * ReplicaStatus. MySQL 8.0.22+ SHOW REPLICA STATUS uses Replica_/Source_ names; MySQL 5.7, SHOW
 * SLAVE STATUS and every MariaDB keep Slave_/Master_ names. Each field lists its spellings.
 */
const COLUMNS = {
  sourceHost: ['Source_Host', 'Master_Host'],
  sourcePort: ['Source_Port', 'Master_Port'],
  ioRunning: ['Replica_IO_Running', 'Slave_IO_Running'],
  sqlRunning: ['Replica_SQL_Running', 'Slave_SQL_Running'],
  secondsBehind: ['Seconds_Behind_Source', 'Seconds_Behind_Master'],
  sourceLogFile: ['Source_Log_File', 'Master_Log_File'],
  readSourceLogPos: ['Read_Source_Log_Pos', 'Read_Master_Log_Pos'],
  relaySourceLogFile: ['Relay_Source_Log_File', 'Relay_Master_Log_File'],
  execSourceLogPos: ['Exec_Source_Log_Pos', 'Exec_Master_Log_Pos'],
  lastIoError: ['Last_IO_Error'],
  lastSqlError: ['Last_SQL_Error'],
  lastIoErrno: ['Last_IO_Errno'],
  lastSqlErrno: ['Last_SQL_Errno'],
  // MariaDB's Gtid_Slave_Pos (SHOW ALL SLAVES STATUS) is what was applied; Gtid_IO_Pos only what
  // was received, the best there is in plain SHOW SLAVE STATUS.
  gtidExecuted: ['Executed_Gtid_Set', 'Gtid_Slave_Pos', 'Gtid_IO_Pos'],
  gtidRetrieved: ['Retrieved_Gtid_Set', 'Gtid_IO_Pos'],
  autoPosition: ['Auto_Position'],
  usingGtid: ['Using_Gtid'],
  channel: ['Channel_Name', 'Channel_name', 'Connection_name'],
} as const satisfies Record<string, readonly string[]>;

/** Null when the server has no replication configured (the statement returned no row). */
export function parseReplicaStatus(rows: readonly Row[]): ReplicaStatus | null {
  if (rows.length === 0) return null;
  // Multi-source servers return a row per channel; dbfleet manages the default (unnamed) one.
  const row = rows.find((r) => asText(pick(r, COLUMNS.channel)) === '') ?? rows[0];
  if (!row) return null;
  const sourceHost = pick(row, COLUMNS.sourceHost);
  if (sourceHost === undefined) unexpected('replica status row without a source host column', Object.keys(row));
  return {
    sourceHost: asText(sourceHost),
    sourcePort: asNumber(pick(row, COLUMNS.sourcePort), 'source port'),
    ioRunning: ioState(pick(row, COLUMNS.ioRunning)),
    sqlRunning: asText(pick(row, COLUMNS.sqlRunning)).toLowerCase() === 'yes',
    secondsBehind: asNumberOrNull(pick(row, COLUMNS.secondsBehind), 'seconds behind source'),
    sourceLogFile: asText(pick(row, COLUMNS.sourceLogFile)),
    readSourceLogPos: asNumber(pick(row, COLUMNS.readSourceLogPos), 'read source log position'),
    relaySourceLogFile: asText(pick(row, COLUMNS.relaySourceLogFile)),
    execSourceLogPos: asNumber(pick(row, COLUMNS.execSourceLogPos), 'exec source log position'),
    lastIoError: asText(pick(row, COLUMNS.lastIoError)),
    lastSqlError: asText(pick(row, COLUMNS.lastSqlError)),
    lastIoErrno: asNumber(pick(row, COLUMNS.lastIoErrno), 'last IO errno'),
    lastSqlErrno: asNumber(pick(row, COLUMNS.lastSqlErrno), 'last SQL errno'),
    gtidExecuted: asGtidSet(pick(row, COLUMNS.gtidExecuted)),
    gtidRetrieved: asGtidSet(pick(row, COLUMNS.gtidRetrieved)),
    usingGtid: usingGtid(row),
  };
}

function ioState(value: unknown): ReplicaStatus['ioRunning'] {
  const text = asText(value).toLowerCase();
  if (text === 'yes') return 'yes';
  // MariaDB also reports "Preparing" while the IO thread sets up its connection.
  if (text === 'connecting' || text === 'preparing') return 'connecting';
  return 'no';
}

function usingGtid(row: Row): boolean {
  const autoPosition = pick(row, COLUMNS.autoPosition);
  if (autoPosition !== undefined) return asText(autoPosition) === '1';
  const mode = asText(pick(row, COLUMNS.usingGtid)).toLowerCase();
  return mode !== '' && mode !== 'no';
}
