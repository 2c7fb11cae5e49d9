import type { ChangeSource, ServerVersion } from './admin.js';
import type { Dialect, DialectName, WaitPlan } from './dialect.js';
import {
  interpretMysqlGtidWait,
  interpretPositionWait,
  parseBinlogStatus,
  parseLogStatus,
  parseRole,
  renderOptions,
  wholeSeconds,
  type OptionItem,
} from './dialect-common.js';
import { mysqlBehind, mysqlCloneStatements, mysqlCovers, mysqlSame, mysqlSnapshotPosition } from './dialect-consolidation.js';
import { InvalidMysqlArgumentError, UnsupportedOperationError } from './mysql-errors.js';
import { formatGtidSet, parseGtidSet, subtractGtidSets } from './mysql-gtid-set.js';
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
  quote,
} from './sql-literal.js';
import { MASK, secretStatement, statement, type Statement } from './statement.js';

/**
 * MySQL 5.7, 8.0 and 8.1-8.4. Syntax is chosen by feature version, not by major alone:
 * REPLICA keywords from 8.0.22, CHANGE REPLICATION SOURCE from 8.0.23, SOURCE_POS_WAIT from
 * 8.0.26, SHOW BINARY LOG STATUS from 8.2 (8.4 removed SHOW MASTER STATUS). Aurora builds on it.
 */
export interface MysqlFeatures {
  replicaKeywords: boolean;
  sourceOptions: boolean;
  sourcePosWait: boolean;
  binaryLogStatus: boolean;
  /** GET_SOURCE_PUBLIC_KEY: caching_sha2_password replication users need it without TLS (8.0+). */
  publicKeyOption: boolean;
  /** performance_schema.log_status, a consistent binlog position and gtid_executed (8.0.14). */
  logStatus: boolean;
  /** The CLONE plugin and print_identified_with_as_hex (8.0.17+). */
  clone: boolean;
  /** RESET BINARY LOGS AND GTIDS (8.2+; 8.4 removed RESET MASTER). */
  resetBinaryLogs: boolean;
}

export function mysqlFeatures(v: ServerVersion): MysqlFeatures {
  return {
    replicaKeywords: versionAtLeast(v, 8, 0, 22),
    sourceOptions: versionAtLeast(v, 8, 0, 23),
    sourcePosWait: versionAtLeast(v, 8, 0, 26),
    binaryLogStatus: versionAtLeast(v, 8, 2, 0),
    publicKeyOption: v.major >= 8,
    logStatus: versionAtLeast(v, 8, 0, 14),
    clone: versionAtLeast(v, 8, 0, 17),
    resetBinaryLogs: versionAtLeast(v, 8, 2, 0),
  };
}

/** 8.1 and later (the 8.4 LTS, 9.x innovation and the 9.7 LTS) share the 8.4 replication dialect. */
export function mysqlDialectName(v: ServerVersion): DialectName {
  if (v.major === 5) return 'mysql-5.7';
  return v.major === 8 && v.minor === 0 ? 'mysql-8.0' : 'mysql-8.4';
}

export function mysqlDialect(version: ServerVersion, name: DialectName = mysqlDialectName(version)): Dialect {
  const f = mysqlFeatures(version);
  const replica = f.replicaKeywords ? 'REPLICA' : 'SLAVE';
  return {
    name,
    version,
    roleQuery: () => statement('SELECT @@read_only AS ro'),
    parseRole,
    readOnlyQuery: () => statement('SELECT @@read_only AS ro'),
    replicaStatusQuery: () => statement(`SHOW ${replica} STATUS`),
    parseReplicaStatus,
    startReplica: () => [statement(`START ${replica}`)],
    stopReplica: () => [statement(`STOP ${replica}`)],
    resetReplicaAll: () => [statement(`RESET ${replica} ALL`)],
    changeSource: (source) => [changeSourceStatement(source, f)],
    binlogStatusQuery: () => statement(f.binaryLogStatus ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS'),
    gtidPositionQuery: () => statement('SELECT @@GLOBAL.gtid_executed AS gtid'),
    parseBinlogStatus,
    waitForPosition: (pos, timeoutMs) => positionWait(f.sourcePosWait ? 'SOURCE_POS_WAIT' : 'MASTER_POS_WAIT', pos, timeoutMs),
    waitForGtid: (gtidSet, timeoutMs): WaitPlan => {
      const seconds = wholeSeconds(timeoutMs);
      return {
        statement: statement('SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result', [checkGtidSet(gtidSet), seconds]),
        serverWaitMs: seconds * 1000,
        interpret: interpretMysqlGtidWait,
      };
    },
    // super_read_only also stops SUPER/CONNECTION_ADMIN users; setting it implies read_only, and
    // clearing read_only clears it, but both are spelled out so the intent is in the statements.
    setReadOnly: (readOnly) =>
      readOnly
        ? [statement('SET GLOBAL read_only = 1'), statement('SET GLOBAL super_read_only = 1')]
        : [statement('SET GLOBAL super_read_only = 0'), statement('SET GLOBAL read_only = 0')],
    readOnlyBypassPrivileges: () => [],
    appliedGtidQuery: () => statement('SELECT @@GLOBAL.gtid_executed AS gtid'),
    gtidStateQuery: () => statement('SELECT @@GLOBAL.gtid_executed AS gtid'),
    errantGtids: (masterState, candidateState) => {
      const errant = subtractGtidSets(parseGtidSet(candidateState), parseGtidSet(masterState));
      return [...errant].map(([key, intervals]) => formatGtidSet(new Map([[key, intervals]])));
    },
    // Without a thread option both threads start and UNTIL applies to the applier (SQL thread).
    startReplicaUntilGtid: (gtid) => [statement(`START ${replica} UNTIL SQL_AFTER_GTIDS = ?`, [checkGtidSet(gtid)])],
    gtidStartFromOwnBinlog: false,
    consistentPosition: () => (f.logStatus ? { statement: statement('SELECT LOCAL FROM performance_schema.log_status'), parse: parseLogStatus } : undefined),
    fullReadOnlyQuery: () => statement('SELECT @@GLOBAL.super_read_only AS ro'),
    writeFenceQuery: () => statement('SELECT @@GLOBAL.gtid_executed AS gtid, @@GLOBAL.super_read_only AS ro'),
    // super_read_only refuses RENAME USER even to the admin (ER 1290); read_only stays 1.
    beforeRenameOnReadOnly: () => [statement('SET GLOBAL super_read_only = 0')],
    renameDefinerOverridePrivileges: () => (!versionAtLeast(version, 8, 0, 22) ? undefined : versionAtLeast(version, 8, 2, 0) ? ['SET_ANY_DEFINER', 'ALLOW_NONEXISTENT_DEFINER'] : ['SET_USER_ID']),
    gtidModeQuery: () => statement('SELECT @@GLOBAL.gtid_mode AS mode'),
    // An applier option: needs both threads stopped (ER 3081 on 9.7 while either runs) and SOURCE_AUTO_POSITION = 0 (a change by position sets it).
    assignGtidsToAnonymous: () => (f.sourceOptions ? [statement('CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL')] : undefined),
    killConnection: (id) => statement('KILL CONNECTION ?', [checkThreadId(id)]),
    gtidCovers: mysqlCovers,
    sameGtids: mysqlSame,
    gtidsBehind: mysqlBehind,
    snapshotPosition: () => mysqlSnapshotPosition(replica),
    resetBinaryLogsAndGtids: () => [statement(f.resetBinaryLogs ? 'RESET BINARY LOGS AND GTIDS' : 'RESET MASTER')],
    accountExportSession: () => (f.clone ? [statement('SET SESSION print_identified_with_as_hex = ON')] : []),
    dumpFlushesTables: true,
    cloneSupported: f.clone,
    cloneInstanceFrom: (donor) => {
      if (!f.clone) throw new UnsupportedOperationError(`MySQL ${version.major}.${version.minor}.${version.patch} has no CLONE plugin (8.0.17 and later have)`, { next: 'seed by logical dump' });
      return mysqlCloneStatements(donor);
    },
    letAdminsWrite: () => [statement('SET GLOBAL super_read_only = 0')],
    // the channel's stored applier settings (the column exists from 8.0.23, with the option)
    assignedGtidsQuery: () => (f.sourceOptions ? statement("SELECT Assign_gtids_to_anonymous_transactions_type AS type FROM mysql.slave_relay_log_info WHERE Channel_name = ''") : undefined),
    // mysqldump --set-gtid-purged writes SET @@GLOBAL.GTID_PURGED: the loaded copy's gtid_executed is the position
    dumpGtidPosition: () => undefined,
  };
}

export function positionWait(fn: 'SOURCE_POS_WAIT' | 'MASTER_POS_WAIT', pos: { file: string; position: number }, timeoutMs: number): WaitPlan {
  const seconds = wholeSeconds(timeoutMs);
  return {
    statement: statement(`SELECT ${fn}(?, ?, ?) AS result`, [
      checkBinlogFile(pos.file),
      checkBinlogPosition(pos.position),
      seconds,
    ]),
    serverWaitMs: seconds * 1000,
    interpret: interpretPositionWait,
  };
}

function changeSourceStatement(source: ChangeSource, f: MysqlFeatures): Statement {
  if (source.kind === 'gtid' && source.startGtid !== undefined) {
    throw new InvalidMysqlArgumentError('startGtid applies to MariaDB only; MySQL replicas start from their gtid_executed', {
      next: 'seed the replica so that its gtid_executed/gtid_purged is right, then change source by GTID without startGtid',
    });
  }
  const k = f.sourceOptions ? 'SOURCE' : 'MASTER';
  const password = checkPassword(source.password);
  const items: OptionItem[] = [
    { key: `${k}_HOST`, sql: quote(checkHost(source.host)) },
    { key: `${k}_PORT`, sql: String(checkPort(source.port)) },
    { key: `${k}_USER`, sql: quote(checkUser(source.user)) },
    { key: `${k}_PASSWORD`, sql: quote(password), secret: true },
  ];
  if (source.kind === 'position') {
    // AUTO_POSITION = 0 explicitly: a replica that used GTID auto-positioning refuses coordinates.
    items.push(
      { key: `${k}_AUTO_POSITION`, sql: '0' },
      { key: `${k}_LOG_FILE`, sql: quote(checkBinlogFile(source.file)) },
      { key: `${k}_LOG_POS`, sql: String(checkBinlogPosition(source.position)) },
    );
  } else {
    items.push({ key: `${k}_AUTO_POSITION`, sql: '1' });
  }
  items.push({ key: `${k}_SSL`, sql: source.ssl ? '1' : '0' });
  if (f.publicKeyOption) items.push({ key: `GET_${k}_PUBLIC_KEY`, sql: '1' });
  const head = f.sourceOptions ? 'CHANGE REPLICATION SOURCE TO' : 'CHANGE MASTER TO';
  const { sql, redacted } = renderOptions(head, items, MASK);
  return secretStatement(sql, redacted, [password]);
}
