import { describe, expect, it } from 'vitest';
import type { ChangeSource } from '../../src/mysql/admin.js';
import type { Dialect } from '../../src/mysql/dialect.js';
import {
  interpretMariadbGtidWait,
  interpretMysqlGtidWait,
  interpretPositionWait,
  parseBinlogStatus,
  parseRole,
} from '../../src/mysql/dialect-common.js';
import { InvalidMysqlArgumentError, UnsupportedOperationError } from '../../src/mysql/mysql-errors.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion, type VersionVariables } from '../../src/mysql/server-version.js';
import type { Statement } from '../../src/mysql/statement.js';

const dialect = (vars: VersionVariables): Dialect => dialectFor(parseServerVersion(vars));
const sqls = (statements: readonly Statement[]): string[] => statements.map((s) => s.redacted);

const PASSWORD = "pa'ss";
const byPosition: ChangeSource = { kind: 'position', host: '10.0.1.5', port: 3306, user: 'repl', password: PASSWORD, file: 'mysql-bin.000042', position: 1234 };
const byGtid: ChangeSource = { kind: 'gtid', host: '10.0.1.5', port: 3306, user: 'repl', password: PASSWORD };

interface Expected {
  vars: VersionVariables;
  role: string;
  status: string;
  start: string[];
  stop: string[];
  reset: string[];
  binlog: string;
  gtid: string;
  posWait: string;
  gtidWait: string;
  readOnlyOn: string[];
  readOnlyOff: string[] | 'unsupported';
  changeByPosition: string[];
  changeByGtid: string[];
}

const MYSQL_RO_ON = ['SET GLOBAL read_only = 1', 'SET GLOBAL super_read_only = 1'];
const MYSQL_RO_OFF = ['SET GLOBAL super_read_only = 0', 'SET GLOBAL read_only = 0'];
const OLD_CHANGE = "CHANGE MASTER TO MASTER_HOST = '10.0.1.5', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***'";
const NEW_CHANGE = "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.1.5', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***'";
const OLD_POS = "MASTER_AUTO_POSITION = 0, MASTER_LOG_FILE = 'mysql-bin.000042', MASTER_LOG_POS = 1234";
const NEW_POS = "SOURCE_AUTO_POSITION = 0, SOURCE_LOG_FILE = 'mysql-bin.000042', SOURCE_LOG_POS = 1234";

const TABLE: Record<string, Expected> = {
  'mysql 5.7': {
    vars: { version: '5.7.44-log' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW SLAVE STATUS',
    start: ['START SLAVE'],
    stop: ['STOP SLAVE'],
    reset: ['RESET SLAVE ALL'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: MYSQL_RO_ON,
    readOnlyOff: MYSQL_RO_OFF,
    changeByPosition: [`${OLD_CHANGE}, ${OLD_POS}, MASTER_SSL = 0`],
    changeByGtid: [`${OLD_CHANGE}, MASTER_AUTO_POSITION = 1, MASTER_SSL = 0`],
  },
  'mysql 8.0.21': {
    vars: { version: '8.0.21' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW SLAVE STATUS',
    start: ['START SLAVE'],
    stop: ['STOP SLAVE'],
    reset: ['RESET SLAVE ALL'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: MYSQL_RO_ON,
    readOnlyOff: MYSQL_RO_OFF,
    changeByPosition: [`${OLD_CHANGE}, ${OLD_POS}, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`],
    changeByGtid: [`${OLD_CHANGE}, MASTER_AUTO_POSITION = 1, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`],
  },
  'mysql 8.0.22': {
    vars: { version: '8.0.22' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW REPLICA STATUS',
    start: ['START REPLICA'],
    stop: ['STOP REPLICA'],
    reset: ['RESET REPLICA ALL'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: MYSQL_RO_ON,
    readOnlyOff: MYSQL_RO_OFF,
    changeByPosition: [`${OLD_CHANGE}, ${OLD_POS}, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`],
    changeByGtid: [`${OLD_CHANGE}, MASTER_AUTO_POSITION = 1, MASTER_SSL = 0, GET_MASTER_PUBLIC_KEY = 1`],
  },
  'mysql 8.0.36': {
    vars: { version: '8.0.36' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW REPLICA STATUS',
    start: ['START REPLICA'],
    stop: ['STOP REPLICA'],
    reset: ['RESET REPLICA ALL'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: MYSQL_RO_ON,
    readOnlyOff: MYSQL_RO_OFF,
    changeByPosition: [`${NEW_CHANGE}, ${NEW_POS}, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`],
    changeByGtid: [`${NEW_CHANGE}, SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`],
  },
  'mysql 8.4': {
    vars: { version: '8.4.3' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW REPLICA STATUS',
    start: ['START REPLICA'],
    stop: ['STOP REPLICA'],
    reset: ['RESET REPLICA ALL'],
    binlog: 'SHOW BINARY LOG STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: MYSQL_RO_ON,
    readOnlyOff: MYSQL_RO_OFF,
    changeByPosition: [`${NEW_CHANGE}, ${NEW_POS}, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`],
    changeByGtid: [`${NEW_CHANGE}, SOURCE_AUTO_POSITION = 1, SOURCE_SSL = 0, GET_SOURCE_PUBLIC_KEY = 1`],
  },
  'aurora mysql 2': {
    vars: { version: '5.7.12', auroraVersion: '2.11.2' },
    role: 'SELECT @@innodb_read_only AS ro',
    status: 'SHOW SLAVE STATUS',
    start: ['CALL mysql.rds_start_replication'],
    stop: ['CALL mysql.rds_stop_replication'],
    reset: ['CALL mysql.rds_reset_external_master'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: [],
    readOnlyOff: 'unsupported',
    changeByPosition: ["CALL mysql.rds_set_external_master('10.0.1.5', 3306, 'repl', '***', 'mysql-bin.000042', 1234, 0)"],
    changeByGtid: ["CALL mysql.rds_set_external_master_with_auto_position('10.0.1.5', 3306, 'repl', '***', 0)"],
  },
  'aurora mysql 3.01 (8.0.23)': {
    vars: { version: '8.0.23', auroraVersion: '3.01.1' },
    role: 'SELECT @@innodb_read_only AS ro',
    status: 'SHOW REPLICA STATUS',
    start: ['CALL mysql.rds_start_replication'],
    stop: ['CALL mysql.rds_stop_replication'],
    reset: ['CALL mysql.rds_reset_external_source'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: [],
    readOnlyOff: 'unsupported',
    changeByPosition: ["CALL mysql.rds_set_external_source('10.0.1.5', 3306, 'repl', '***', 'mysql-bin.000042', 1234, 0)"],
    changeByGtid: ["CALL mysql.rds_set_external_source_with_auto_position('10.0.1.5', 3306, 'repl', '***', 0)"],
  },
  'aurora mysql 3.05 (8.0.32)': {
    vars: { version: '8.0.32', auroraVersion: '3.05.2' },
    role: 'SELECT @@innodb_read_only AS ro',
    status: 'SHOW REPLICA STATUS',
    start: ['CALL mysql.rds_start_replication'],
    stop: ['CALL mysql.rds_stop_replication'],
    reset: ['CALL mysql.rds_reset_external_source'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_executed AS gtid',
    posWait: 'SELECT SOURCE_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS result',
    readOnlyOn: [],
    readOnlyOff: 'unsupported',
    changeByPosition: ["CALL mysql.rds_set_external_source('10.0.1.5', 3306, 'repl', '***', 'mysql-bin.000042', 1234, 0)"],
    changeByGtid: ["CALL mysql.rds_set_external_source_with_auto_position('10.0.1.5', 3306, 'repl', '***', 0)"],
  },
  'mariadb 10.4': {
    vars: { version: '10.4.34-MariaDB-log' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW ALL SLAVES STATUS',
    start: ['START SLAVE'],
    stop: ['STOP SLAVE'],
    reset: ['RESET SLAVE ALL'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_binlog_pos AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT MASTER_GTID_WAIT(?, ?) AS result',
    readOnlyOn: ['SET GLOBAL read_only = 1'],
    readOnlyOff: ['SET GLOBAL read_only = 0'],
    changeByPosition: [`${OLD_CHANGE}, MASTER_LOG_FILE = 'mysql-bin.000042', MASTER_LOG_POS = 1234, MASTER_USE_GTID = no, MASTER_SSL = 0`],
    changeByGtid: [`${OLD_CHANGE}, MASTER_USE_GTID = slave_pos, MASTER_SSL = 0`],
  },
  'mariadb 10.11': {
    vars: { version: '10.11.6-MariaDB-0+deb12u1', versionComment: 'Debian 12' },
    role: 'SELECT @@read_only AS ro',
    status: 'SHOW ALL SLAVES STATUS',
    start: ['START REPLICA'],
    stop: ['STOP REPLICA'],
    reset: ['RESET REPLICA ALL'],
    binlog: 'SHOW MASTER STATUS',
    gtid: 'SELECT @@GLOBAL.gtid_binlog_pos AS gtid',
    posWait: 'SELECT MASTER_POS_WAIT(?, ?, ?) AS result',
    gtidWait: 'SELECT MASTER_GTID_WAIT(?, ?) AS result',
    readOnlyOn: ['SET GLOBAL read_only = 1'],
    readOnlyOff: ['SET GLOBAL read_only = 0'],
    changeByPosition: [`${OLD_CHANGE}, MASTER_LOG_FILE = 'mysql-bin.000042', MASTER_LOG_POS = 1234, MASTER_USE_GTID = no, MASTER_SSL = 0`],
    changeByGtid: [`${OLD_CHANGE}, MASTER_USE_GTID = slave_pos, MASTER_SSL = 0`],
  },
};

describe.each(Object.entries(TABLE))('dialect for %s', (_label, e) => {
  const d = dialect(e.vars);

  it('builds the read statements', () => {
    expect(d.roleQuery().sql).toBe(e.role);
    expect(d.replicaStatusQuery().sql).toBe(e.status);
    expect(d.binlogStatusQuery().sql).toBe(e.binlog);
    expect(d.gtidPositionQuery().sql).toBe(e.gtid);
  });

  it('builds start, stop and reset', () => {
    expect(sqls(d.startReplica())).toEqual(e.start);
    expect(sqls(d.stopReplica())).toEqual(e.stop);
    expect(sqls(d.resetReplicaAll())).toEqual(e.reset);
  });

  it('builds the waits with their arguments as placeholders', () => {
    const pos = d.waitForPosition({ file: 'mysql-bin.000042', position: 1234 }, 1_500);
    expect(pos.statement.sql).toBe(e.posWait);
    expect(pos.statement.params).toEqual(['mysql-bin.000042', 1234, 2]);
    expect(pos.serverWaitMs).toBe(2_000);
    const gtid = d.waitForGtid('0-1-100', 1_500);
    expect(gtid.statement.sql).toBe(e.gtidWait);
    expect(gtid.statement.params[0]).toBe('0-1-100');
  });

  it('builds setReadOnly, or refuses it where the flavour does not allow it', () => {
    if (e.readOnlyOff === 'unsupported') {
      expect(() => d.setReadOnly(true)).toThrow(UnsupportedOperationError);
      expect(() => d.setReadOnly(false)).toThrow(UnsupportedOperationError);
    } else {
      expect(sqls(d.setReadOnly(true))).toEqual(e.readOnlyOn);
      expect(sqls(d.setReadOnly(false))).toEqual(e.readOnlyOff);
    }
    expect(d.readOnlyQuery().sql).toBe('SELECT @@read_only AS ro');
  });

  it('builds change-source by position and by GTID, with the password escaped in sql and masked elsewhere', () => {
    for (const [source, expected] of [
      [byPosition, e.changeByPosition],
      [byGtid, e.changeByGtid],
    ] as const) {
      const statements = d.changeSource(source);
      expect(sqls(statements)).toEqual(expected);
      const last = statements[statements.length - 1];
      expect(last?.secrets).toEqual([PASSWORD]);
      expect(last?.params).toEqual([]);
      expect(last?.sql).toBe(last?.redacted.replace("'***'", "'pa\\'ss'"));
      expect(last?.redacted).not.toContain('pa');
    }
  });
});

describe('dialect details', () => {
  const mariadb = dialect({ version: '10.11.6-MariaDB' });
  const mysql8 = dialect({ version: '8.0.36' });
  const aurora3 = dialect({ version: '8.0.32', auroraVersion: '3.05.2' });

  it('MariaDB sets gtid_slave_pos first when a start GTID is given', () => {
    const statements = mariadb.changeSource({ ...byGtid, startGtid: '0-1-42,1-2-7' });
    expect(statements[0]).toMatchObject({ sql: 'SET GLOBAL gtid_slave_pos = ?', params: ['0-1-42,1-2-7'], secrets: [] });
    expect(statements[1]?.redacted).toContain('MASTER_USE_GTID = slave_pos');
  });

  it('refuses a start GTID on MySQL and Aurora, where it means nothing', () => {
    expect(() => mysql8.changeSource({ ...byGtid, startGtid: 'uuid:1-5' })).toThrow(InvalidMysqlArgumentError);
    expect(() => aurora3.changeSource({ ...byGtid, startGtid: 'uuid:1-5' })).toThrow(InvalidMysqlArgumentError);
  });

  it('turns on TLS when asked', () => {
    expect(mysql8.changeSource({ ...byGtid, ssl: true })[0]?.redacted).toContain('SOURCE_SSL = 1');
    expect(aurora3.changeSource({ ...byPosition, ssl: true })[0]?.redacted).toMatch(/1234, 1\)$/);
  });

  it('escapes a backslash and quotes in the password, never leaving it in redacted text', () => {
    const password = `a\\'b"c%`;
    const [s] = mysql8.changeSource({ ...byGtid, password });
    expect(s?.sql).toContain(`SOURCE_PASSWORD = 'a\\\\\\'b\\"c%'`);
    expect(s?.redacted).toContain("SOURCE_PASSWORD = '***'");
  });

  it.each([
    ['host with a quote', { ...byPosition, host: "h'; DROP TABLE x; --" }],
    ['host with a space', { ...byPosition, host: 'a b' }],
    ['empty host', { ...byPosition, host: '' }],
    ['user with a quote', { ...byPosition, user: "r'oot" }],
    ['port 0', { ...byPosition, port: 0 }],
    ['port 70000', { ...byPosition, port: 70_000 }],
    ['binlog file with a slash', { ...byPosition, file: '../etc/passwd' }],
    ['position below 4', { ...byPosition, position: 3 }],
    ['fractional position', { ...byPosition, position: 4.5 }],
  ] as Array<[string, ChangeSource]>)('refuses a %s with InvalidMysqlArgumentError', (_label, source) => {
    for (const d of [mariadb, mysql8, aurora3]) expect(() => d.changeSource(source)).toThrow(InvalidMysqlArgumentError);
  });

  it('accepts host names, IPv4 and IPv6 literals', () => {
    for (const host of ['db-17.internal.example', '127.0.10.1', '::1', 'fe80::1']) {
      expect(mysql8.changeSource({ ...byGtid, host })[0]?.sql).toContain(`SOURCE_HOST = '${host}'`);
    }
  });

  it('rounds position waits up to whole seconds, never 0 (0 means forever to MASTER_POS_WAIT)', () => {
    expect(mariadb.waitForPosition({ file: 'bin.000001', position: 4 }, 200).statement.params[2]).toBe(1);
    expect(mariadb.waitForPosition({ file: 'bin.000001', position: 4 }, 2_001).statement.params[2]).toBe(3);
    expect(mysql8.waitForGtid('uuid:1-5', 200).statement.params[1]).toBe(1);
    // MASTER_GTID_WAIT takes fractions of a second.
    expect(mariadb.waitForGtid('0-1-5', 250).statement.params[1]).toBe(0.25);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => mariadb.waitForPosition({ file: 'bin.000001', position: 4 }, bad)).toThrow(InvalidMysqlArgumentError);
      expect(() => mariadb.waitForGtid('0-1-5', bad)).toThrow(InvalidMysqlArgumentError);
    }
  });

  it('refuses a malformed GTID set', () => {
    expect(() => mysql8.waitForGtid("x'); DROP", 1_000)).toThrow(InvalidMysqlArgumentError);
  });
});

describe('result parsers', () => {
  it.each([
    [{ ro: 0 }, 'writer'],
    [{ ro: 1 }, 'reader'],
    [{ ro: '0' }, 'writer'],
    [{ ro: '1' }, 'reader'],
    [{ ro: 'OFF' }, 'writer'],
    [{ ro: 'ON' }, 'reader'],
  ])('role %j is %s', (row, role) => {
    expect(parseRole([row])).toBe(role);
  });

  it('refuses a role result it cannot read', () => {
    expect(() => parseRole([])).toThrow(/unexpected/);
    expect(() => parseRole([{ ro: 'maybe' }])).toThrow(/unexpected/);
    expect(() => parseRole([{ other: 1 }])).toThrow(/unexpected/);
  });

  it.each([
    [0, 'reached'],
    [17, 'reached'],
    ['3', 'reached'],
    [-1, 'timeout'],
    [null, 'not-replicating'],
  ])('position wait result %j is %s', (value, outcome) => {
    expect(interpretPositionWait([{ result: value }])).toBe(outcome);
  });

  it('GTID wait results differ by flavour: MySQL 1 = timeout, MariaDB -1 = timeout', () => {
    expect(interpretMysqlGtidWait([{ result: 0 }])).toBe('reached');
    expect(interpretMysqlGtidWait([{ result: 1 }])).toBe('timeout');
    expect(() => interpretMysqlGtidWait([{ result: null }])).toThrow(/unexpected/);
    expect(interpretMariadbGtidWait([{ result: 0 }])).toBe('reached');
    expect(interpretMariadbGtidWait([{ result: -1 }])).toBe('timeout');
    expect(() => interpretMariadbGtidWait([{ result: 1 }])).toThrow(/unexpected/);
    expect(() => interpretPositionWait([{ result: -2 }])).toThrow(/unexpected/);
    expect(() => interpretPositionWait([])).toThrow(/unexpected/);
  });

  it('reads SHOW MASTER STATUS / SHOW BINARY LOG STATUS rows', () => {
    expect(
      parseBinlogStatus([
        {
          File: 'binlog.000003',
          Position: 157,
          Binlog_Do_DB: '',
          Binlog_Ignore_DB: '',
          Executed_Gtid_Set: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n4a3c6c1e-2b4d-11ef-9b1f-0242ac120002:1-12',
        },
      ]),
    ).toEqual({ file: 'binlog.000003', position: 157, gtidSet: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,4a3c6c1e-2b4d-11ef-9b1f-0242ac120002:1-12' });
    expect(parseBinlogStatus([{ File: 'bin.000001', Position: '328', Binlog_Do_DB: '', Binlog_Ignore_DB: '' }])).toEqual({
      file: 'bin.000001',
      position: 328,
      gtidSet: undefined,
    });
    expect(parseBinlogStatus([])).toBeNull();
  });
});
