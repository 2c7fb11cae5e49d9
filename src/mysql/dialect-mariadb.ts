import type { ChangeSource, ServerVersion } from './admin.js';
import type { Dialect, WaitPlan } from './dialect.js';
import { interpretMariadbGtidWait, parseBinlogStatus, parseRole, renderOptions, type OptionItem } from './dialect-common.js';
import { positionWait } from './dialect-mysql.js';
import { mariadbBehind, mariadbCovers, mariadbDumpGtidPosition, mariadbSame, mariadbSnapshotPosition } from './dialect-consolidation.js';
import { InvalidMysqlArgumentError, UnsupportedOperationError } from './mysql-errors.js';
import { parseReplicaStatus } from './replica-status.js';
import { versionAtLeast } from './server-version.js';
import {
  checkBinlogFile,
  checkBinlogPosition,
  checkGtidSet,
  checkHost,
  checkPassword,
  checkPort,
  checkThreadId,
  checkUser,
  checkWaitTimeout,
  quote,
} from './sql-literal.js';
import { MASK, secretStatement, statement, type Statement } from './statement.js';

/**
 * MariaDB 10.4-11.x. It keeps CHANGE MASTER TO and the Slave_/Master_ column names, has its own
 * GTID (domain-server-seq, MASTER_USE_GTID, gtid_slave_pos, MASTER_GTID_WAIT), and has neither
 * super_read_only nor @@gtid_executed. REPLICA keywords exist from 10.5.1.
 */
export function mariadbDialect(version: ServerVersion): Dialect {
  const replica = versionAtLeast(version, 10, 5, 1) ? 'REPLICA' : 'SLAVE';
  return {
    name: 'mariadb',
    version,
    roleQuery: () => statement('SELECT @@read_only AS ro'),
    parseRole,
    readOnlyQuery: () => statement('SELECT @@read_only AS ro'),
    // SHOW ALL SLAVES STATUS, unlike SHOW SLAVE STATUS, carries Gtid_Slave_Pos (what the replica
    // applied) and Connection_name (to pick the default connection among multi-source ones).
    replicaStatusQuery: () => statement('SHOW ALL SLAVES STATUS'),
    parseReplicaStatus,
    startReplica: () => [statement(`START ${replica}`)],
    stopReplica: () => [statement(`STOP ${replica}`)],
    resetReplicaAll: () => [statement(`RESET ${replica} ALL`)],
    changeSource: (source) => changeMaster(source),
    // SHOW BINLOG STATUS only exists from 10.5.2; SHOW MASTER STATUS works on every version.
    binlogStatusQuery: () => statement('SHOW MASTER STATUS'),
    gtidPositionQuery: () => statement('SELECT @@GLOBAL.gtid_binlog_pos AS gtid'),
    gtidAtPositionQuery: (file, position) => statement('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [file, position]),
    parseBinlogStatus,
    waitForPosition: (pos, timeoutMs) => positionWait('MASTER_POS_WAIT', pos, timeoutMs),
    waitForGtid: (gtidSet, timeoutMs): WaitPlan => {
      // MASTER_GTID_WAIT takes fractional seconds, so no rounding here.
      return {
        statement: statement('SELECT MASTER_GTID_WAIT(?, ?) AS result', [checkGtidSet(gtidSet), checkWaitTimeout(timeoutMs) / 1000]),
        serverWaitMs: timeoutMs,
        interpret: interpretMariadbGtidWait,
      };
    },
    setReadOnly: (readOnly) => [statement(`SET GLOBAL read_only = ${readOnly ? 1 : 0}`)],
    // READ_ONLY ADMIN exists from 10.11 (SUPER held it before); both are looked for on every version.
    readOnlyBypassPrivileges: () => ['SUPER', 'READ_ONLY ADMIN'],
    appliedGtidQuery: () => statement('SELECT @@GLOBAL.gtid_current_pos AS gtid'),
    gtidStateQuery: () => statement('SELECT @@GLOBAL.gtid_binlog_state AS gtid'),
    errantGtids: mariadbErrantGtids,
    startReplicaUntilGtid: (gtid) => [statement(`START ${replica} UNTIL master_gtid_pos = ?`, [checkGtidSet(gtid)])],
    gtidStartFromOwnBinlog: true,
    // no log_status; BINLOG_GTID_POS (gtidAtPositionQuery) pairs a GTID with an exact offset
    consistentPosition: () => undefined,
    fullReadOnlyQuery: () => statement('SELECT @@GLOBAL.read_only AS ro'),
    // @@gtid_binlog_pos, not BINLOG_GTID_POS(file, pos): that one scans the binlog file from its start
    writeFenceQuery: () => statement('SELECT @@GLOBAL.gtid_binlog_pos AS gtid, @@GLOBAL.read_only AS ro'),
    beforeRenameOnReadOnly: () => [],
    // MariaDB renames a DEFINER account without a check (its objects are orphaned meanwhile).
    renameDefinerOverridePrivileges: () => undefined,
    gtidModeQuery: () => undefined,
    assignGtidsToAnonymous: () => undefined,
    killConnection: (id) => statement('KILL CONNECTION ?', [checkThreadId(id)]),
    gtidCovers: mariadbCovers,
    sameGtids: mariadbSame,
    gtidsBehind: mariadbBehind,
    snapshotPosition: () => mariadbSnapshotPosition,
    // gtid_slave_pos is the replica's own position, kept apart from the binary log's
    resetBinaryLogsAndGtids: () => [statement('RESET MASTER'), statement("SET GLOBAL gtid_slave_pos = ''")],
    // SHOW CREATE USER prints MariaDB's hashes as text ('*...' or unix_socket) already
    accountExportSession: () => [],
    dumpFlushesTables: false,
    cloneSupported: false,
    cloneInstanceFrom: () => {
      throw new UnsupportedOperationError('MariaDB has no CLONE over the MySQL protocol (mariadb-backup needs a shell on the source host)', { next: 'seed by logical dump' });
    },
    letAdminsWrite: () => [],
    assignedGtidsQuery: () => undefined,
    dumpGtidPosition: () => mariadbDumpGtidPosition,
  };
}

/** Parses a MariaDB GTID state ("0-101-57,0-5-9,1-5-3"): every (domain, server) with its last seq. */
export function parseMariadbGtidState(list: string): { domain: number; server: number; seq: number }[] {
  return list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
      if (!m) throw new InvalidMysqlArgumentError(`not a MariaDB GTID: ${part}`);
      return { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
    });
}

/**
 * From both servers' binlog states (the last GTID per domain AND server): every (domain, server)
 * the master lacks, or has at a lower seq.
 */
export function mariadbErrantGtids(masterState: string, candidateState: string): string[] {
  const master = parseMariadbGtidState(masterState);
  return parseMariadbGtidState(candidateState)
    .filter((c) => !master.some((m) => m.domain === c.domain && m.server === c.server && m.seq >= c.seq))
    .map((c) => `${c.domain}-${c.server}-${c.seq}`);
}

function changeMaster(source: ChangeSource): Statement[] {
  const password = checkPassword(source.password);
  const items: OptionItem[] = [
    { key: 'MASTER_HOST', sql: quote(checkHost(source.host)) },
    { key: 'MASTER_PORT', sql: String(checkPort(source.port)) },
    { key: 'MASTER_USER', sql: quote(checkUser(source.user)) },
    { key: 'MASTER_PASSWORD', sql: quote(password), secret: true },
  ];
  const statements: Statement[] = [];
  if (source.kind === 'position') {
    items.push(
      { key: 'MASTER_LOG_FILE', sql: quote(checkBinlogFile(source.file)) },
      { key: 'MASTER_LOG_POS', sql: String(checkBinlogPosition(source.position)) },
      { key: 'MASTER_USE_GTID', sql: 'no' },
    );
  } else {
    // slave_pos: start from what this replica applied (gtid_slave_pos), set first when given.
    if (source.startGtid !== undefined) {
      statements.push(statement('SET GLOBAL gtid_slave_pos = ?', [checkGtidSet(source.startGtid, 'start GTID')]));
    }
    items.push({ key: 'MASTER_USE_GTID', sql: 'slave_pos' });
  }
  items.push({ key: 'MASTER_SSL', sql: source.ssl ? '1' : '0' });
  const { sql, redacted } = renderOptions('CHANGE MASTER TO', items, MASK);
  statements.push(secretStatement(sql, redacted, [password]));
  return statements;
}
