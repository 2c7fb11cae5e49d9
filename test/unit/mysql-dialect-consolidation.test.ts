import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/mysql/dialect.js';
import { UnsupportedOperationError } from '../../src/mysql/mysql-errors.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion, type VersionVariables } from '../../src/mysql/server-version.js';

// What the shard consolidator asks of the dialects (switchover, verify, seed), per server version.
// MySQL 9.7 and MariaDB 10.11 are also checked against the real servers by the integration tests
// (switchover, seed-replica, consolidation); 5.7, 8.0 and Aurora only here, against the manuals.

const dialect = (vars: VersionVariables): Dialect => dialectFor(parseServerVersion(vars));
const sqls = (d: Dialect, f: (d: Dialect) => readonly { redacted: string }[]): string[] | 'unsupported' => {
  try {
    return f(d).map((s) => s.redacted);
  } catch (e) {
    if (e instanceof UnsupportedOperationError) return 'unsupported';
    throw e;
  }
};

const U1 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const U2 = '4d22fb58-82db-22f2-af44-d91bb0530673';
const DONOR = { host: '10.0.1.5', port: 3306, user: 'dbfleet', password: "se'cret" };
const CLONE = ["SET GLOBAL clone_valid_donor_list = '10.0.1.5:3306'", "CLONE INSTANCE FROM 'dbfleet'@'10.0.1.5':3306 IDENTIFIED BY '***'"];

interface Row {
  vars: VersionVariables;
  reset: string[] | 'unsupported';
  accounts: string[];
  clone: string[] | 'unsupported';
  snapshot: 'position-tables' | 'applier-pause' | 'none';
  adminsWrite: string[] | 'unsupported';
}

// MySQL: CLONE and print_identified_with_as_hex from 8.0.17; RESET BINARY LOGS AND GTIDS from
// 8.2 (8.4 removed RESET MASTER). MariaDB keeps RESET MASTER and its own gtid_slave_pos.
const TABLE: Record<string, Row> = {
  'mysql 5.7': { vars: { version: '5.7.44-log' }, reset: ['RESET MASTER'], accounts: [], clone: 'unsupported', snapshot: 'applier-pause', adminsWrite: ['SET GLOBAL super_read_only = 0'] },
  'mysql 8.0.16': { vars: { version: '8.0.16' }, reset: ['RESET MASTER'], accounts: [], clone: 'unsupported', snapshot: 'applier-pause', adminsWrite: ['SET GLOBAL super_read_only = 0'] },
  'mysql 8.0.36': { vars: { version: '8.0.36' }, reset: ['RESET MASTER'], accounts: ['SET SESSION print_identified_with_as_hex = ON'], clone: CLONE, snapshot: 'applier-pause', adminsWrite: ['SET GLOBAL super_read_only = 0'] },
  'mysql 8.4': { vars: { version: '8.4.3' }, reset: ['RESET BINARY LOGS AND GTIDS'], accounts: ['SET SESSION print_identified_with_as_hex = ON'], clone: CLONE, snapshot: 'applier-pause', adminsWrite: ['SET GLOBAL super_read_only = 0'] },
  'mysql 9.7': { vars: { version: '9.7.4-2', versionComment: '(Debian)' }, reset: ['RESET BINARY LOGS AND GTIDS'], accounts: ['SET SESSION print_identified_with_as_hex = ON'], clone: CLONE, snapshot: 'applier-pause', adminsWrite: ['SET GLOBAL super_read_only = 0'] },
  'aurora 2': { vars: { version: '5.7.12', auroraVersion: '2.11.2' }, reset: 'unsupported', accounts: [], clone: 'unsupported', snapshot: 'none', adminsWrite: 'unsupported' },
  'aurora 3': { vars: { version: '8.0.28', auroraVersion: '3.05.2' }, reset: 'unsupported', accounts: ['SET SESSION print_identified_with_as_hex = ON'], clone: 'unsupported', snapshot: 'none', adminsWrite: 'unsupported' },
  'mariadb 10.11': { vars: { version: '10.11.6-MariaDB-0+deb12u1' }, reset: ['RESET MASTER', "SET GLOBAL gtid_slave_pos = ''"], accounts: [], clone: 'unsupported', snapshot: 'position-tables', adminsWrite: [] },
};

describe.each(Object.entries(TABLE))('consolidation statements of %s', (_name, row) => {
  const d = dialect(row.vars);
  it('resets a fresh copy that is seeded again', () => expect(sqls(d, (x) => x.resetBinaryLogsAndGtids())).toEqual(row.reset));
  it('prints account hashes a text client carries', () => expect(sqls(d, (x) => x.accountExportSession())).toEqual(row.accounts));
  it('clones from a donor, password masked', () => {
    expect(sqls(d, (x) => x.cloneInstanceFrom(DONOR))).toEqual(row.clone);
    expect(d.cloneSupported).toBe(row.clone !== 'unsupported');
  });
  it('reads a consistent snapshot at an exact position', () => expect(d.snapshotPosition().kind).toBe(row.snapshot));
  it('lets administrators (not applications) write to a read-only copy', () => expect(sqls(d, (x) => x.letAdminsWrite())).toEqual(row.adminsWrite));
});

describe('the clone statement', () => {
  const d = dialect({ version: '9.7.4' });
  it('inlines the password (CLONE takes no placeholders), escaped, and lists it as a secret', () => {
    const [, clone] = d.cloneInstanceFrom(DONOR);
    expect(clone?.sql).toBe("CLONE INSTANCE FROM 'dbfleet'@'10.0.1.5':3306 IDENTIFIED BY 'se\\'cret'");
    expect(clone?.secrets).toEqual([DONOR.password]);
    expect(clone?.params).toEqual([]);
  });
  it('refuses a donor host or user it would have to quote oddly', () => {
    expect(() => d.cloneInstanceFrom({ ...DONOR, host: "10.0.1.5' OR 1" })).toThrow(/donor host/);
    expect(() => d.cloneInstanceFrom({ ...DONOR, user: 'a b' })).toThrow(/clone user/);
  });
});

describe('the snapshot position plans', () => {
  it.each([
    ['5.7.44-log', 'SLAVE'],
    ['8.0.21', 'SLAVE'],
    ['8.0.22', 'REPLICA'],
    ['9.7.4', 'REPLICA'],
  ])('MySQL %s: the applier (SQL thread) paused, @@gtid_executed read, the applier started again (%s keywords)', (version, word) => {
    const plan = dialect({ version }).snapshotPosition();
    if (plan.kind !== 'applier-pause') throw new Error(plan.kind);
    expect(plan.pause.map((s) => [s.sql, s.params])).toEqual([[`STOP ${word} SQL_THREAD`, []]]);
    expect(plan.position.sql).toBe('SELECT @@GLOBAL.gtid_executed AS gtid');
    expect(plan.resume.map((s) => [s.sql, s.params])).toEqual([[`START ${word} SQL_THREAD`, []]]);
  });

  it('MariaDB: the last row per domain (highest sub_id) of the gtid_slave_pos tables read in the snapshot', () => {
    const plan = dialect({ version: '10.11.6-MariaDB' }).snapshotPosition();
    if (plan.kind !== 'position-tables') throw new Error(plan.kind);
    expect(plan.parseTables([{ t: 'gtid_slave_pos', e: 'InnoDB' }, { t: 'gtid_slave_pos_InnoDB', e: 'InnoDB' }])).toEqual([
      { name: 'gtid_slave_pos', engine: 'InnoDB' },
      { name: 'gtid_slave_pos_InnoDB', engine: 'InnoDB' },
    ]);
    expect(plan.rowsQuery('gtid_slave_pos_InnoDB').sql).toBe('SELECT domain_id AS d, sub_id AS s, server_id AS sv, seq_no AS n FROM mysql.`gtid_slave_pos_InnoDB`');
    expect(() => plan.rowsQuery('gtid_slave_pos`; DROP')).toThrow(/will quote/);
    const rows = [
      { d: 0, s: '7', sv: 1, n: 40 },
      { d: 0, s: '9', sv: 1, n: 41 },
      { d: 0, s: '8', sv: 2, n: 99 },
      { d: 1, s: '3', sv: 5, n: 3 },
    ];
    expect(plan.parsePosition(rows)).toBe('0-1-41,1-5-3');
    expect(plan.parsePosition([])).toBe('');
  });
});

describe('GTID comparisons', () => {
  const my = dialect({ version: '9.7.4' });
  const ma = dialect({ version: '10.11.6-MariaDB' });
  it.each([
    [my, `${U1}:1-10`, `${U1}:1-10`, true],
    [my, `${U1}:1-10`, `${U1}:1-5`, true],
    [my, `${U1}:1-10`, `${U1}:1-11`, false],
    [my, `${U1}:1-10,\n${U2}:1-3`, `${U2}:2`, true],
    [my, `${U1}:1-4:6-10`, `${U1}:1-10`, false],
    [my, `${U1}:1-10`, '', true],
    [ma, '0-1-10', '0-1-10', true],
    [ma, '0-1-10,1-2-5', '0-2-9', true],
    [ma, '0-1-10', '0-1-11', false],
    [ma, '0-1-10', '0-1-10,1-1-1', false],
  ])('%# %s covers %s: %s', (d, have, want, expected) => expect(d.gtidCovers(have, want)).toBe(expected));

  it.each([
    [my, `${U2}:1-3,${U1}:1-10`, `${U1}:1-5:6-10,\n${U2}:1-3`, true],
    [my, `${U1}:1-10`, `${U1}:1-9`, false],
    [my, '', '', true],
    [ma, '1-5-3,0-1-10', '0-1-10, 1-5-3', true],
    [ma, '0-1-10', '0-2-10', false],
  ])('%# %s is the same set as %s: %s', (d, a, b, expected) => expect(d.sameGtids(a, b)).toBe(expected));

  it.each([
    [my, `${U1}:1-100`, `${U1}:1-40`, 60],
    [my, `${U1}:1-100,${U2}:1-5`, `${U1}:1-100`, 5],
    [my, `${U1}:1-10`, `${U1}:1-20`, 0],
    [my, 'not a set', `${U1}:1-20`, null],
    [ma, '0-1-100', '0-1-40', 60],
    [ma, '0-1-100,1-1-7', '0-1-100', 7],
    [ma, 'garbage', '0-1-1', null],
  ])('%# %s minus %s: %s transactions behind', (d, target, applied, behind) => expect(d.gtidsBehind(target, applied)).toBe(behind));

  it('MySQL errant transactions: what the candidate has beyond the master, one range per source', () => {
    expect(my.errantGtids(`${U1}:1-10`, `${U1}:1-10`)).toEqual([]);
    // read first, a candidate behind the master is no error
    expect(my.errantGtids(`${U1}:1-12`, `${U1}:1-10`)).toEqual([]);
    expect(my.errantGtids(`${U1}:1-10`, `${U1}:1-10,${U2}:1-2`)).toEqual([`${U2}:1-2`]);
    expect(my.errantGtids(`${U1}:1-10,${U2}:1-3`, `${U1}:1-10,\n${U2}:1-3`)).toEqual([]);
  });
});
