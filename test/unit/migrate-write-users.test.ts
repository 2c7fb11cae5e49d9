/**
 * Preflight's judgements of the write accounts (pure). The MySQL 8 / Aurora forms (no IDENTIFIED
 * clause in SHOW GRANTS, dynamic privileges) cannot be produced by the sandbox's MariaDB.
 */
import { describe, expect, it } from 'vitest';
import { credentialFingerprint, readOnlyBypassPrivileges, unlistedHostEntries } from '../../src/migrate/write-user-audit.js';

describe('credential fingerprint from mysql.user', () => {
  const sha2 = (hash: string) => [{ plugin: 'caching_sha2_password', authentication_string: Buffer.from(hash, 'latin1') }];
  it('equal for the same stored hash (MySQL 8 caching_sha2 as replicated), different for another password or plugin', () => {
    expect(credentialFingerprint(sha2('$A$005$salt1hashA'))).toBe(credentialFingerprint(sha2('$A$005$salt1hashA')));
    expect(credentialFingerprint(sha2('$A$005$salt1hashA'))).not.toBe(credentialFingerprint(sha2('$A$005$salt2hashB')));
    expect(credentialFingerprint([{ plugin: 'mysql_native_password', authentication_string: '*ABC' }])).not.toBe(credentialFingerprint([{ plugin: 'caching_sha2_password', authentication_string: '*ABC' }]));
  });
  it('never contains the hash; undefined when the account does not exist', () => {
    const fp = credentialFingerprint([{ plugin: 'mysql_native_password', authentication_string: '*94BDCEBE19083CE2A1F959FD02F964C7AF4CFC29' }]);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fp).not.toContain('94BDCEBE');
    expect(credentialFingerprint([])).toBeUndefined();
  });
});

describe('privileges that write through read_only', () => {
  it.each<[string, string[], string[]]>([
    ['DML only', ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT SELECT, INSERT, UPDATE, DELETE ON `app`.* TO `app`@`%`'], []],
    ['MariaDB SUPER', ["GRANT SUPER ON *.* TO 'app'@'10.%'"], ['SUPER']],
    ['MariaDB READ_ONLY ADMIN and CONNECTION ADMIN', ['GRANT READ_ONLY ADMIN, CONNECTION ADMIN ON *.* TO `app`@`%`'], ['READ_ONLY ADMIN', 'CONNECTION ADMIN']],
    ['MySQL 8 dynamic privileges', ['GRANT USAGE ON *.* TO `app`@`%`', 'GRANT CONNECTION_ADMIN,REPLICATION_APPLIER ON *.* TO `app`@`%`'], ['CONNECTION_ADMIN']],
    ['ALL PRIVILEGES on *.*', ['GRANT ALL PRIVILEGES ON *.* TO `app`@`%`'], ['ALL PRIVILEGES']],
    ['ALL on one schema only', ['GRANT ALL PRIVILEGES ON `app`.* TO `app`@`%`'], []],
  ])('%s', (_what, grants, found) => {
    expect(readOnlyBypassPrivileges(grants)).toEqual(found);
  });
});

describe('host entries the rename does not cover', () => {
  it('names every entry of a listed user name that is not listed', () => {
    expect(unlistedHostEntries([{ user: 'app', host: '%' }], [{ user: 'app', host: '%' }, { user: 'app', host: '10.%' }])).toEqual([{ user: 'app', host: '10.%' }]);
    expect(unlistedHostEntries([{ user: 'app', host: '%' }], [{ user: 'app', host: '%' }])).toEqual([]);
  });
});
