import { describe, expect, it } from 'vitest';
import type { Flavor } from '../../src/mysql/admin.js';
import { FlavorMismatchError, UnsupportedServerError } from '../../src/mysql/mysql-errors.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion, versionAtLeast, versionVariablesFromRows, type VersionVariables } from '../../src/mysql/server-version.js';

describe('parseServerVersion: realistic version strings', () => {
  const cases: Array<[string, VersionVariables, Flavor, [number, number, number], string, string | undefined]> = [
    ['MySQL 8.0 community', { version: '8.0.36', versionComment: 'MySQL Community Server - GPL' }, 'mysql', [8, 0, 36], 'mysql-8.0', undefined],
    ['MySQL 8.0 Ubuntu', { version: '8.0.36-0ubuntu0.22.04.1', versionComment: '(Ubuntu)' }, 'mysql', [8, 0, 36], 'mysql-8.0', undefined],
    ['MySQL 8.0.21 (before REPLICA keywords)', { version: '8.0.21' }, 'mysql', [8, 0, 21], 'mysql-8.0', undefined],
    ['MySQL 8.4 LTS', { version: '8.4.3', versionComment: 'MySQL Community Server - GPL' }, 'mysql', [8, 4, 3], 'mysql-8.4', undefined],
    ['MySQL 8.2 innovation', { version: '8.2.0' }, 'mysql', [8, 2, 0], 'mysql-8.4', undefined],
    // what the real 9.7.4 server here reports (Debian's mysql-server-core)
    ['MySQL 9.7 LTS, Debian', { version: '9.7.4-2', versionComment: '(Debian)' }, 'mysql', [9, 7, 4], 'mysql-8.4', undefined],
    ['MySQL 9.1 innovation', { version: '9.1.0', versionComment: 'MySQL Community Server - GPL' }, 'mysql', [9, 1, 0], 'mysql-8.4', undefined],
    ['MySQL 5.7 with -log', { version: '5.7.44-log', versionComment: 'MySQL Community Server (GPL)' }, 'mysql', [5, 7, 44], 'mysql-5.7', undefined],
    ['Percona Server 8.0', { version: '8.0.35-27', versionComment: 'Percona Server (GPL), Release 27, Revision 2f8eeab2' }, 'mysql', [8, 0, 35], 'mysql-8.0', undefined],
    ['Aurora MySQL 2', { version: '5.7.12', versionComment: 'MySQL Community Server (GPL)', auroraVersion: '2.11.2' }, 'aurora-mysql', [5, 7, 12], 'aurora-mysql-2', '2.11.2'],
    ['Aurora MySQL 2, engine-version form', { version: '5.7.mysql_aurora.2.11.2' }, 'aurora-mysql', [5, 7, 12], 'aurora-mysql-2', '2.11.2'],
    ['Aurora MySQL 3', { version: '8.0.32', versionComment: 'Source distribution', auroraVersion: '3.05.2' }, 'aurora-mysql', [8, 0, 32], 'aurora-mysql-3', '3.05.2'],
    ['Aurora MySQL 3, engine-version form', { version: '8.0.mysql_aurora.3.04.0', auroraVersion: '3.04.0' }, 'aurora-mysql', [8, 0, 28], 'aurora-mysql-3', '3.04.0'],
    ['Aurora MySQL 3, unknown minor', { version: '8.0.mysql_aurora.3.99.0' }, 'aurora-mysql', [8, 0, 23], 'aurora-mysql-3', '3.99.0'],
    ['MariaDB 10.11 Debian', { version: '10.11.6-MariaDB-0+deb12u1', versionComment: 'Debian 12' }, 'mariadb', [10, 11, 6], 'mariadb', undefined],
    ['MariaDB 10.11 with -log', { version: '10.11.19-MariaDB-0+deb12u1-log', versionComment: 'Debian 12' }, 'mariadb', [10, 11, 19], 'mariadb', undefined],
    ['MariaDB via old handshake prefix', { version: '5.5.5-10.6.16-MariaDB' }, 'mariadb', [10, 6, 16], 'mariadb', undefined],
    ['MariaDB 11.4', { version: '11.4.2-MariaDB-ubu2404', versionComment: 'mariadb.org binary distribution' }, 'mariadb', [11, 4, 2], 'mariadb', undefined],
    ['MariaDB named only in the comment', { version: '10.5.23', versionComment: 'MariaDB Server' }, 'mariadb', [10, 5, 23], 'mariadb', undefined],
  ];

  it.each(cases)('%s', (_label, vars, flavor, [major, minor, patch], dialect, aurora) => {
    const v = parseServerVersion(vars);
    expect(v).toMatchObject({ flavor, major, minor, patch, raw: vars.version });
    expect(v.auroraVersion).toBe(aurora);
    expect(dialectFor(v).name).toBe(dialect);
  });

  const unsupported: Array<[string, VersionVariables]> = [
    ['MySQL 5.6', { version: '5.6.51-log' }],
    ['MySQL 10.0', { version: '10.0.1' }],
    ['MariaDB 10.3', { version: '10.3.39-MariaDB' }],
    ['MariaDB 12', { version: '12.0.1-MariaDB' }],
    ['Aurora MySQL 1', { version: '5.6.10', auroraVersion: '1.23.4' }],
    ['Aurora 2 reporting MySQL 8.0', { version: '8.0.32', auroraVersion: '2.11.2' }],
    ['no version number', { version: 'garbage' }],
  ];
  it.each(unsupported)('refuses %s with UnsupportedServerError', (_label, vars) => {
    expect(() => parseServerVersion(vars)).toThrow(UnsupportedServerError);
  });

  it('checks the flavour hint against what the server says', () => {
    expect(parseServerVersion({ version: '8.0.32', auroraVersion: '3.05.2' }, 'aurora-mysql').flavor).toBe('aurora-mysql');
    expect(() => parseServerVersion({ version: '10.11.6-MariaDB' }, 'mysql')).toThrow(FlavorMismatchError);
    // The seed's failure mode: config says Aurora, address points at plain MySQL (wrong role query).
    expect(() => parseServerVersion({ version: '8.0.36' }, 'aurora-mysql')).toThrow(/configuration says engine aurora-mysql/);
  });
});

describe('versionVariablesFromRows', () => {
  it('reads SHOW VARIABLES rows, with or without aurora_version', () => {
    expect(
      versionVariablesFromRows([
        { Variable_name: 'aurora_version', Value: '3.05.2' },
        { Variable_name: 'version', Value: '8.0.32' },
        { Variable_name: 'version_comment', Value: 'Source distribution' },
      ]),
    ).toEqual({ version: '8.0.32', versionComment: 'Source distribution', auroraVersion: '3.05.2' });
    expect(versionVariablesFromRows([{ Variable_name: 'version', Value: '8.4.3' }])).toEqual({
      version: '8.4.3',
      versionComment: undefined,
      auroraVersion: undefined,
    });
  });

  it('refuses a result without @@version', () => {
    expect(() => versionVariablesFromRows([])).toThrow(UnsupportedServerError);
  });
});

describe('versionAtLeast', () => {
  const v = parseServerVersion({ version: '8.0.26' });
  it.each([
    [8, 0, 26, true],
    [8, 0, 27, false],
    [8, 0, 22, true],
    [5, 7, 44, true],
    [8, 2, 0, false],
  ])('8.0.26 >= %i.%i.%i is %s', (major, minor, patch, expected) => {
    expect(versionAtLeast(v, major, minor, patch)).toBe(expected);
  });
});
