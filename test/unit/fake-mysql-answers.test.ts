import { describe, expect, it } from 'vitest';
import { answer } from '../../bench/lib/fake-mysql/answers.js';
import { addressOf, parseFleetConfig } from '../../bench/lib/fake-mysql/fleet-config.js';
import type { AnswerState } from '../../bench/lib/fake-mysql/types.js';
import { auroraDialect } from '../../src/mysql/dialect-aurora.js';
import { mysqlDialect } from '../../src/mysql/dialect-mysql.js';
import { parseServerVersion, VERSION_QUERY, versionVariablesFromRows } from '../../src/mysql/server-version.js';

/** The benchmark stand-in's answers, checked through dbfleet's own parsers. */

function rows(sql: string, state: AnswerState): Record<string, string | null>[] {
  const r = answer(sql, state);
  if (r.kind !== 'rows') throw new Error(`expected rows, got ${r.message}`);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null])));
}

const aurora = (role: AnswerState['role']): AnswerState => ({ role, flavour: 'aurora-mysql-3' });
const mysql80 = (role: AnswerState['role']): AnswerState => ({ role, flavour: 'mysql-8.0' });

describe('fake-mysql answers', () => {
  it.each<[AnswerState, string, string | undefined]>([
    [aurora('writer'), 'aurora-mysql', '3.05.2'],
    [mysql80('reader'), 'mysql', undefined],
  ])('VERSION_QUERY identifies %o to dbfleet', (state, flavor, auroraVersion) => {
    const version = parseServerVersion(versionVariablesFromRows(rows(VERSION_QUERY, state)));
    expect(version.flavor).toBe(flavor);
    expect(version.auroraVersion).toBe(auroraVersion);
  });

  it.each<[AnswerState, 'writer' | 'reader']>([
    [aurora('writer'), 'writer'],
    [aurora('reader'), 'reader'],
    [mysql80('writer'), 'writer'],
    [mysql80('reader'), 'reader'],
  ])("the dialect's role query on %o reads %s", (state, expected) => {
    const version = parseServerVersion(versionVariablesFromRows(rows(VERSION_QUERY, state)));
    const dialect = state.flavour === 'aurora-mysql-3' ? auroraDialect(version) : mysqlDialect(version);
    expect(dialect.parseRole(rows(dialect.roleQuery().sql, state))).toBe(expected);
  });

  it('answers Aurora readers with @@read_only 0: only innodb_read_only tells the role', () => {
    expect(rows('SELECT @@read_only, @@innodb_read_only AS ro', aurora('reader'))).toEqual([{ '@@read_only': '0', ro: '1' }]);
  });

  it.each([
    ['SELECT 1', { '1': '1' }],
    ['select @@GLOBAL.read_only as `x`;', { x: '1' }],
    ['SELECT @@version AS v FROM DUAL', { v: '8.0.36' }],
  ])('%s', (sql, row) => {
    expect(rows(sql, mysql80('reader'))).toEqual([row]);
  });

  it("SHOW VARIABLES LIKE filters like MySQL's LIKE", () => {
    expect(rows("SHOW GLOBAL VARIABLES LIKE '%read_only'", mysql80('reader'))).toEqual([
      { Variable_name: 'innodb_read_only', Value: 'OFF' },
      { Variable_name: 'read_only', Value: 'ON' },
      { Variable_name: 'super_read_only', Value: 'ON' },
    ]);
  });

  it.each([
    ['SELECT @@aurora_version', 1193],
    ['SELECT * FROM information_schema.replica_host_status', 1235],
    ['SET GLOBAL read_only = 1', 1235],
    ['SELECT NOW()', 1235],
  ])('%s is an error on MySQL 8.0, not a made-up success', (sql, code) => {
    const r = answer(sql, mysql80('writer'));
    expect(r.kind).toBe('error');
    expect(r.kind === 'error' && r.code).toBe(code);
  });
});

describe('fake-mysql config', () => {
  it('packs instances onto 127.<octet>.x.y:3306 by default', () => {
    const config = parseFleetConfig({ clusters: 1000, instancesPerCluster: 4 });
    expect(addressOf(config.addressing, 0)).toEqual({ host: '127.250.1.1', port: 3306 });
    expect(addressOf(config.addressing, 3999)).toEqual({ host: '127.250.16.190', port: 3306 });
  });

  it.each([
    [{ clusters: 0 }, 'clusters'],
    [{ addressing: { kind: 'ports', host: '10.0.0.1', firstPort: 20000 } }, 'addressing.host'],
    [{ addressing: { kind: 'ports', firstPort: 65000 }, clusters: 600 }, 'addressing'],
    [{ flavour: 'mariadb' }, 'flavour'],
  ])('rejects %o naming %s', (input, field) => {
    expect(() => parseFleetConfig(input)).toThrow(new RegExp(`config: ${field.replace('.', '\\.')}`));
  });
});
