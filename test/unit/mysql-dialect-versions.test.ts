/**
 * The dialect's choice PER SERVER VERSION at every boundary where MySQL or Aurora changed the
 * statement dbfleet must send, one row per boundary with the version on each side of it, each
 * row citing the reference-manual page that says so (checked on 2026-12-03 with the docs search;
 * where a page did not show the exact version, the row says so).
 *
 * What no real server here can check: every statement of the 5.7, 8.0.x, 8.1-8.3 and Aurora 2 / 3
 * rows. Debian has no MySQL but 9.7, and no Aurora runs here, so CHANGE MASTER TO ... MASTER_* and
 * GET_MASTER_PUBLIC_KEY, START / STOP SLAVE, RESET SLAVE ALL, SHOW SLAVE STATUS, SHOW MASTER
 * STATUS, MASTER_POS_WAIT on 8.0.25 and earlier, START SLAVE UNTIL SQL_AFTER_GTIDS, SOURCE_POS_WAIT
 * and log_status on 8.0.14-8.1, the mysql.rds_* procedures and the @@innodb_read_only role query
 * are checked only here, against the manuals. (The migrate tests emulate the rds_* procedures on
 * 9.7: that checks dbfleet's calls against the emulation, not against Aurora.)
 *
 * What the MySQL 9.7 integration tests do check on the real server (the mysql-8.4 dialect, which
 * 8.2+, 8.4 and 9.x share): CHANGE REPLICATION SOURCE TO with SOURCE_AUTO_POSITION 0 / 1 and
 * GET_SOURCE_PUBLIC_KEY = 1 (caching_sha2_password without TLS), START / STOP REPLICA, RESET
 * REPLICA ALL, SHOW REPLICA STATUS, SHOW BINARY LOG STATUS, performance_schema.log_status,
 * SOURCE_POS_WAIT, WAIT_FOR_EXECUTED_GTID_SET, START REPLICA UNTIL SQL_AFTER_GTIDS, read_only with
 * super_read_only (test/integration/mysql-mysql97-replication.test.ts), and that 9.7 refuses every
 * legacy spelling above with ER_PARSE_ERROR (test/integration/mysql-session.test.ts). 9.7 still
 * accepts MASTER_POS_WAIT, the deprecated alias (seen on 9.7.4); dbfleet sends SOURCE_POS_WAIT.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeSource } from '../../src/mysql/admin.js';
import type { Dialect } from '../../src/mysql/dialect.js';
import { parseLogStatus } from '../../src/mysql/dialect-common.js';
import { UnsupportedOperationError } from '../../src/mysql/mysql-errors.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion, type VersionVariables } from '../../src/mysql/server-version.js';

const dialect = (vars: VersionVariables): Dialect => dialectFor(parseServerVersion(vars));
const mysql = (version: string): VersionVariables => ({ version });
const aurora = (version: string, auroraVersion: string): VersionVariables => ({ version, auroraVersion });

const byPosition: ChangeSource = { kind: 'position', host: '10.0.1.5', port: 3306, user: 'repl', password: 'pw', file: 'bin.000042', position: 1234 };
const byGtid: ChangeSource = { kind: 'gtid', host: '10.0.1.5', port: 3306, user: 'repl', password: 'pw' };

/** One boundary: what a feature's statements are on the last version before it and the first after. */
interface Boundary {
  feature: string;
  /** Reference-manual pages that state the boundary, and what they say (paraphrased). */
  cites: { url: string; says: string }[];
  build: (d: Dialect) => unknown;
  sides: [VersionVariables, unknown][];
}

const replicaWords = (d: Dialect): string[] => [d.replicaStatusQuery().sql, ...[...d.startReplica(), ...d.stopReplica(), ...d.resetReplicaAll(), ...d.startReplicaUntilGtid('u:1')].map((s) => s.sql)];
const changeSource = (d: Dialect): string[] => [...d.changeSource(byPosition), ...d.changeSource(byGtid)].map((s) => s.redacted);
const positionWait = (d: Dialect): string => d.waitForPosition({ file: 'bin.000042', position: 1234 }, 1_000).statement.sql;
const binlogStatus = (d: Dialect): string => d.binlogStatusQuery().sql;
const consistentPosition = (d: Dialect): string | undefined => d.consistentPosition()?.statement.sql;

const OLD_CHANGE = "CHANGE MASTER TO MASTER_HOST = '10.0.1.5', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***'";
const NEW_CHANGE = "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.1.5', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***'";

const BOUNDARIES: Boundary[] = [
  {
    feature: 'GET_MASTER_PUBLIC_KEY (caching_sha2_password replication without TLS) exists from 8.0',
    cites: [
      { url: 'https://dev.mysql.com/doc/refman/5.7/en/change-master-to.html', says: "5.7's CHANGE MASTER TO has no GET_MASTER_PUBLIC_KEY option" },
      { url: 'https://docs.oracle.com/cd/E17952_01/mysql-8.0-en/change-master-to.html', says: '8.0 lists MASTER_PUBLIC_KEY_PATH and GET_MASTER_PUBLIC_KEY = {0|1}' },
    ],
    build: changeSource,
    sides: [
      [mysql('5.7.44-log'), [`${OLD_CHANGE}, MASTER_AUTO_POSITION = 0, MASTER_LOG_FILE = 'bin.000042', MASTER_LOG_POS = 1234, MASTER_SSL = 0`, `${OLD_CHANGE}, MASTER_AUTO_POSITION = 1, MASTER_SSL = 0`]],
      [mysql('8.0.11'), [`${OLD_CHANGE}, MASTER_AUTO_POSITION = 0, MASTER_LOG_FILE = 'bin.000042', MASTER_LOG_POS = 1234, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`, `${OLD_CHANGE}, MASTER_AUTO_POSITION = 1, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`]],
    ],
  },
  {
    feature: 'performance_schema.log_status (a consistent binlog position and gtid_executed) from 8.0.14',
    cites: [
      {
        url: 'https://docs.oracle.com/cd/E17952_01/mysql-9.7-en/performance-schema-log-status-table.html',
        says: 'LOCAL holds binary_log_file, binary_log_position and gtid_executed; gtid_executed "is consistent with the binary_log_file and binary_log_position keys"',
      },
      {
        url: 'https://dev.mysql.com/doc/refman/8.0/ja/performance-schema-log-status-table.html',
        says: 'the 8.0 manual has the table; it needs BACKUP_ADMIN and SELECT. (The 8.0.14 boundary is from the 8.0.14 release notes; no page the search showed names the version)',
      },
    ],
    build: consistentPosition,
    sides: [
      [mysql('5.7.44'), undefined],
      [mysql('8.0.13'), undefined],
      [mysql('8.0.14'), 'SELECT LOCAL FROM performance_schema.log_status'],
    ],
  },
  {
    feature: 'REPLICA keywords (START / STOP / RESET REPLICA, SHOW REPLICA STATUS) from 8.0.22',
    cites: [
      { url: 'https://dev.mysql.com/doc/refman/en/show-slave-status.html', says: 'From MySQL 8.0.22, SHOW SLAVE STATUS is deprecated and the alias SHOW REPLICA STATUS should be used instead' },
      { url: 'https://dev.mysql.com/doc/mysql/en/stop-slave.html', says: 'From MySQL 8.0.22, STOP SLAVE is deprecated and the alias STOP REPLICA should be used instead' },
      { url: 'https://dev.mysql.com/doc/mysql/8.0/en/reset-slave.html', says: 'From MySQL 8.0.22, RESET SLAVE is deprecated ... In releases before MySQL 8.0.22, use RESET SLAVE' },
      { url: 'https://dev.mysql.com/doc/refman/8.4/en/start-replica.html', says: 'START REPLICA ... UNTIL {SQL_BEFORE_GTIDS | SQL_AFTER_GTIDS} = gtid_set' },
    ],
    build: replicaWords,
    sides: [
      [mysql('8.0.21'), ['SHOW SLAVE STATUS', 'START SLAVE', 'STOP SLAVE', 'RESET SLAVE ALL', 'START SLAVE UNTIL SQL_AFTER_GTIDS = ?']],
      [mysql('8.0.22'), ['SHOW REPLICA STATUS', 'START REPLICA', 'STOP REPLICA', 'RESET REPLICA ALL', 'START REPLICA UNTIL SQL_AFTER_GTIDS = ?']],
    ],
  },
  {
    feature: 'CHANGE REPLICATION SOURCE TO with SOURCE_* options from 8.0.23',
    cites: [
      { url: 'https://dev.mysql.com/doc/refman/8.0/en/replication-howto-slaveinit.html', says: 'execute the CHANGE REPLICATION SOURCE TO statement (from MySQL 8.0.23) or CHANGE MASTER TO statement (before MySQL 8.0.23)' },
      { url: 'https://dev.mysql.com/doc/refman/8.0/en/change-replication-source-to.html', says: 'SOURCE_HOST, SOURCE_AUTO_POSITION, SOURCE_SSL, GET_SOURCE_PUBLIC_KEY ...' },
    ],
    build: changeSource,
    sides: [
      [mysql('8.0.22'), [`${OLD_CHANGE}, MASTER_AUTO_POSITION = 0, MASTER_LOG_FILE = 'bin.000042', MASTER_LOG_POS = 1234, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`, `${OLD_CHANGE}, MASTER_AUTO_POSITION = 1, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`]],
      [mysql('8.0.23'), [`${NEW_CHANGE}, SOURCE_AUTO_POSITION = 0, SOURCE_LOG_FILE = 'bin.000042', SOURCE_LOG_POS = 1234, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`, `${NEW_CHANGE}, SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`]],
    ],
  },
  {
    feature: 'SOURCE_POS_WAIT from 8.0.26 (MASTER_POS_WAIT before)',
    cites: [
      { url: 'https://dev.mysql.com/doc/refman/8.0/en/replication-functions-synchronization.html', says: 'From MySQL 8.0.26, MASTER_POS_WAIT() is deprecated and the alias SOURCE_POS_WAIT() should be used instead. In releases before MySQL 8.0.26, use MASTER_POS_WAIT()' },
    ],
    build: positionWait,
    sides: [
      [mysql('8.0.25'), 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result'],
      [mysql('8.0.26'), 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    ],
  },
  {
    feature: 'SHOW BINARY LOG STATUS from 8.2.0 (SHOW MASTER STATUS before; removed in 8.4)',
    cites: [
      { url: 'https://dev.mysql.com/doc/refman/8.1/en/show-binary-log-status.html', says: 'This statement is added in MySQL 8.2.0 as a replacement for SHOW MASTER STATUS, which is now deprecated' },
      { url: 'https://docs.oracle.com/cd/E17952_01/mysql-8.4-en/show-master-status.html', says: 'SHOW MASTER STATUS Statement (no longer supported) ... replaced by SHOW BINARY LOG STATUS' },
    ],
    build: binlogStatus,
    sides: [
      [mysql('8.0.40'), 'SHOW MASTER STATUS'],
      [mysql('8.1.0'), 'SHOW MASTER STATUS'],
      [mysql('8.2.0'), 'SHOW BINARY LOG STATUS'],
    ],
  },
  {
    feature: '8.4 LTS removed the SLAVE / MASTER statements; 8.4 and 9.x share the 8.2+ statements',
    cites: [
      {
        url: 'https://dev.mysql.com/doc/relnotes/mysql/8.4/en/news-8-4-0.html',
        says: '"SQL statements removed": START SLAVE, STOP SLAVE, SHOW SLAVE STATUS, SHOW SLAVE HOSTS, RESET SLAVE, CHANGE MASTER TO, RESET MASTER, SHOW MASTER STATUS (replacements: the REPLICA / SOURCE / BINARY LOG spellings); read as quoted in support.zabbix.com/browse/ZBXNEXT-9153',
      },
      { url: 'https://dev.mysql.com/doc/refman/9.5/en/change-replication-source-to.html', says: '9.x keeps CHANGE REPLICATION SOURCE TO with the SOURCE_* options' },
    ],
    build: (d) => [d.name, ...replicaWords(d), ...changeSource(d), positionWait(d), binlogStatus(d), consistentPosition(d), d.waitForGtid('u:1', 1_000).statement.sql, ...d.setReadOnly(true).map((s) => s.sql)],
    sides: [
      [mysql('8.3.0'), ['mysql-8.4', 'SHOW REPLICA STATUS', 'START REPLICA', 'STOP REPLICA', 'RESET REPLICA ALL', 'START REPLICA UNTIL SQL_AFTER_GTIDS = ?', `${NEW_CHANGE}, SOURCE_AUTO_POSITION = 0, SOURCE_LOG_FILE = 'bin.000042', SOURCE_LOG_POS = 1234, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`, `${NEW_CHANGE}, SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result', 'SHOW BINARY LOG STATUS', 'SELECT LOCAL FROM performance_schema.log_status', 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result', 'SET GLOBAL read_only = 1', 'SET GLOBAL super_read_only = 1']],
      ...['8.4.0', '9.0.1', '9.7.4-2'].map((v): [VersionVariables, unknown] => [
        mysql(v),
        ['mysql-8.4', 'SHOW REPLICA STATUS', 'START REPLICA', 'STOP REPLICA', 'RESET REPLICA ALL', 'START REPLICA UNTIL SQL_AFTER_GTIDS = ?', `${NEW_CHANGE}, SOURCE_AUTO_POSITION = 0, SOURCE_LOG_FILE = 'bin.000042', SOURCE_LOG_POS = 1234, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`, `${NEW_CHANGE}, SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result', 'SHOW BINARY LOG STATUS', 'SELECT LOCAL FROM performance_schema.log_status', 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result', 'SET GLOBAL read_only = 1', 'SET GLOBAL super_read_only = 1'],
      ]),
    ],
  },
  {
    feature: 'Aurora MySQL 2 drives replication with mysql.rds_*_master procedures, Aurora 3 with *_source',
    cites: [
      {
        url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/mysql-stored-proc-replicating.html',
        says: 'mysql.rds_reset_external_master / rds_set_external_master / rds_set_external_master_with_auto_position (Aurora MySQL version 2); mysql.rds_reset_external_source / rds_set_external_source / rds_set_external_source_with_auto_position (Aurora MySQL version 3); mysql.rds_start_replication, mysql.rds_stop_replication',
      },
      {
        url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Replication.ReadScaling.html',
        says: 'the privileges to start replication are not available to the master user: use mysql.rds_set_external_master (Aurora MySQL version 2) or mysql.rds_set_external_source (Aurora MySQL version 3) and mysql.rds_start_replication',
      },
    ],
    build: (d) => [...d.startReplica(), ...d.stopReplica(), ...d.resetReplicaAll(), ...d.changeSource(byPosition), ...d.changeSource(byGtid)].map((s) => s.redacted),
    sides: [
      [aurora('5.7.12', '2.11.2'), ['CALL mysql.rds_start_replication', 'CALL mysql.rds_stop_replication', 'CALL mysql.rds_reset_external_master', "CALL mysql.rds_set_external_master('10.0.1.5', 3306, 'repl', '***', 'bin.000042', 1234, 0)", "CALL mysql.rds_set_external_master_with_auto_position('10.0.1.5', 3306, 'repl', '***', 0)"]],
      [aurora('8.0.23', '3.01.0'), ['CALL mysql.rds_start_replication', 'CALL mysql.rds_stop_replication', 'CALL mysql.rds_reset_external_source', "CALL mysql.rds_set_external_source('10.0.1.5', 3306, 'repl', '***', 'bin.000042', 1234, 0)", "CALL mysql.rds_set_external_source_with_auto_position('10.0.1.5', 3306, 'repl', '***', 0)"]],
    ],
  },
  {
    feature: "Aurora reads follow its MySQL compatibility version: 3.01 is 8.0.23 (REPLICA words, MASTER_POS_WAIT), 3.04 is 8.0.28 (SOURCE_POS_WAIT); 8.0 has no SHOW BINARY LOG STATUS",
    cites: [
      { url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Updates.3010.html', says: 'Aurora MySQL 3.01 versions are compatible with MySQL 8.0.23' },
      { url: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraMySQLReleaseNotes/doc-history.html', says: 'Aurora MySQL version 3.04.4, compatible with MySQL 8.0.28; 2.12.5, compatible with MySQL 5.7.44' },
    ],
    build: (d) => [d.roleQuery().sql, d.replicaStatusQuery().sql, positionWait(d), binlogStatus(d)],
    sides: [
      [aurora('5.7.12', '2.11.2'), ['SELECT @@innodb_read_only AS ro', 'SHOW SLAVE STATUS', 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result', 'SHOW MASTER STATUS']],
      [aurora('8.0.23', '3.01.0'), ['SELECT @@innodb_read_only AS ro', 'SHOW REPLICA STATUS', 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result', 'SHOW MASTER STATUS']],
      [aurora('8.0.28', '3.04.4'), ['SELECT @@innodb_read_only AS ro', 'SHOW REPLICA STATUS', 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result', 'SHOW MASTER STATUS']],
    ],
  },
];

describe.each(BOUNDARIES)('$feature', (b) => {
  it.each(b.sides.map(([vars, expected]) => [vars.auroraVersion ? `Aurora ${vars.auroraVersion} (${vars.version})` : vars.version, vars, expected] as const))('%s', (_label, vars, expected) => {
    expect(b.build(dialect(vars))).toEqual(expected);
  });

  it('cites the manual', () => {
    expect(b.cites.length).toBeGreaterThan(0);
    for (const c of b.cites) expect(c.url).toMatch(/^https:\/\/(dev\.mysql\.com|docs\.oracle\.com|docs\.aws\.amazon\.com)\//);
  });
});

describe('Aurora 3 engine-version strings map to their MySQL patch, which picks the statements', () => {
  // "8.0.mysql_aurora.3.xx.y" carries no MySQL patch: the table in server-version.ts supplies it.
  // Checked against the Aurora MySQL release notes ("version 3.xx, compatible with MySQL 8.0.nn");
  // 3.03 -> 8.0.26 was not re-checked here (no page in the search showed it).
  it.each([
    ['3.01.1', 23, 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result'],
    ['3.04.0', 28, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    ['3.07.1', 36, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    ['3.08.1', 39, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    ['3.10.0', 42, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    ['3.11.1', 43, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    ['3.12.0', 44, 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result'],
    // an Aurora 3 minor the table does not know: the oldest 8.0 patch Aurora 3 has, whose older
    // spellings still work on every later one
    ['3.99.0', 23, 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result'],
  ])('Aurora %s is MySQL 8.0.%i', (auroraVersion, patch, wait) => {
    const v = parseServerVersion({ version: `8.0.mysql_aurora.${auroraVersion}` });
    expect([v.flavor, v.major, v.minor, v.patch]).toEqual(['aurora-mysql', 8, 0, patch]);
    expect(positionWait(dialectFor(v))).toBe(wait);
  });

  it('Aurora refuses SET GLOBAL read_only on every version (the instance role decides it)', () => {
    for (const vars of [aurora('5.7.12', '2.11.2'), aurora('8.0.28', '3.04.4')]) {
      expect(() => dialect(vars).setReadOnly(true)).toThrow(UnsupportedOperationError);
    }
  });
});

describe('log_status LOCAL column parser', () => {
  it.each([
    ['an object (mysql2 parses JSON columns)', { LOCAL: { gtid_executed: 'u:1-5,\nv:1', binary_log_file: 'bin.000002', binary_log_position: 158 } }, { file: 'bin.000002', position: 158, gtidSet: 'u:1-5,v:1' }],
    ['JSON text', { LOCAL: '{"gtid_executed": "", "binary_log_file": "bin.000001", "binary_log_position": 4}' }, { file: 'bin.000001', position: 4, gtidSet: '' }],
    ['binary logging off (no file)', { LOCAL: { gtid_executed: '', binary_log_file: '', binary_log_position: 0 } }, null],
  ])('%s', (_name, row, expected) => {
    expect(parseLogStatus([row])).toEqual(expected);
  });

  it('an unreadable LOCAL is a typed error', () => {
    expect(() => parseLogStatus([{ LOCAL: 'not json' }])).toThrow(expect.objectContaining({ code: 'MYSQL_UNEXPECTED_RESULT' }));
  });
});
