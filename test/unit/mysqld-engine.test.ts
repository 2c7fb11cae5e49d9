import { describe, expect, it } from 'vitest';
import { renderMyCnf } from '../../src/shard/mysqld/my-cnf.js';
import { defaultMysqlPrefix, engineBinaries, engineFromOption, installHint, MARIADB_ENGINE } from '../../src/shard/mysqld/mysqld-engine.js';
import { validateSpec, type MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';

const base: MysqldSpec = { name: 'shard-7', baseDir: '/srv/dbfleet', bindAddress: '10.0.1.17', port: 3306, serverId: 7, bufferPoolMb: 64, readOnly: true, runAsRoot: false };
const mysql: MysqldSpec = { ...base, engine: { kind: 'mysql', prefix: '/opt/dbfleet/mysql' } };

/** The settings a rendered file holds, as a map (later lines win, as in mysqld). */
function settings(cnf: string): Map<string, string> {
  return new Map(cnf.split('\n').filter((l) => l.includes(' = ')).map((l) => l.split(' = ') as [string, string]));
}

describe('engine binaries and where MySQL is installed', () => {
  it('names MariaDB programs on PATH, MySQL programs in the prefix or on PATH', () => {
    expect(engineBinaries()).toEqual({ server: 'mariadbd', installDb: 'mariadb-install-db', client: 'mariadb', dump: 'mariadb-dump' });
    expect(engineBinaries(mysql.engine)).toEqual({ server: '/opt/dbfleet/mysql/bin/mysqld', client: '/opt/dbfleet/mysql/bin/mysql', dump: '/opt/dbfleet/mysql/bin/mysqldump' });
    expect(engineBinaries({ kind: 'mysql' })).toEqual({ server: 'mysqld', client: 'mysql', dump: 'mysqldump' });
  });

  it('takes the prefix from DBFLEET_MYSQL_PREFIX, else the XDG cache, else ~/.cache', () => {
    expect(defaultMysqlPrefix({ DBFLEET_MYSQL_PREFIX: '/x/my', HOME: '/home/u' })).toBe('/x/my');
    expect(defaultMysqlPrefix({ XDG_CACHE_HOME: '/var/cache/u', HOME: '/home/u' })).toBe('/var/cache/u/dbfleet/mysql');
    expect(defaultMysqlPrefix({ HOME: '/home/u' })).toBe('/home/u/.cache/dbfleet/mysql');
    expect(engineFromOption('mysql', { HOME: '/home/u' })).toEqual({ kind: 'mysql', prefix: '/home/u/.cache/dbfleet/mysql' });
    expect(engineFromOption('mariadb', { HOME: '/home/u' })).toBe(MARIADB_ENGINE);
  });

  it('says what to run when a binary is missing', () => {
    expect(installHint()).toMatch(/ensure-deps/);
    expect(installHint(mysql.engine)).toMatch(/scripts\/ensure-mysql \/opt\/dbfleet\/mysql/);
  });
});

describe('my-<name>.cnf per engine', () => {
  it('MariaDB keeps its own option names and no MySQL-only setting', () => {
    const s = settings(renderMyCnf(base));
    expect(s.get('log_slave_updates')).toBe('ON');
    expect(s.get('skip_slave_start')).toBe('ON');
    expect(s.get('binlog_format')).toBe('ROW');
    for (const k of ['gtid_mode', 'super_read_only', 'mysqlx', 'log_replica_updates']) expect(s.has(k)).toBe(false);
  });

  it('MySQL: GTIDs on, a replica read-only for SUPER users too, no X plugin, a secure_file_priv of its own', () => {
    const reader = settings(renderMyCnf(mysql));
    expect(reader.get('gtid_mode')).toBe('ON');
    expect(reader.get('enforce_gtid_consistency')).toBe('ON');
    expect(reader.get('read_only')).toBe('ON');
    expect(reader.get('super_read_only')).toBe('ON');
    expect(reader.get('log_replica_updates')).toBe('ON');
    expect(reader.get('skip_replica_start')).toBe('ON');
    // the X plugin would listen on every address at 33060; the default secure_file_priv does not exist here
    expect(reader.get('mysqlx')).toBe('OFF');
    expect(reader.get('secure_file_priv')).toBe('/srv/dbfleet/shard-7/tmp');
    // the deprecated SLAVE spellings and MariaDB-only options are not written
    for (const k of ['log_slave_updates', 'skip_slave_start', 'innodb_log_file_size']) expect(reader.has(k)).toBe(false);
    const writer = settings(renderMyCnf({ ...mysql, readOnly: false }));
    expect([writer.get('read_only'), writer.get('super_read_only')]).toEqual(['OFF', 'OFF']);
  });

  it("MySQL: 2 + 2 InnoDB I/O threads, so that many processes fit in the host's kernel AIO slots; the config's extra settings override it", () => {
    const s = settings(renderMyCnf(mysql));
    expect([s.get('innodb_read_io_threads'), s.get('innodb_write_io_threads')]).toEqual(['2', '2']);
    const tuned = settings(renderMyCnf({ ...mysql, extra: { innodb_read_io_threads: '8' } }));
    expect(tuned.get('innodb_read_io_threads')).toBe('8');
    expect(settings(renderMyCnf(base)).has('innodb_read_io_threads')).toBe(false);
  });

  it('rejects a MySQL prefix that is not a plain absolute path', () => {
    expect(() => validateSpec({ ...mysql, engine: { kind: 'mysql', prefix: 'relative/mysql' } })).toThrow('engine.prefix');
    expect(() => validateSpec({ ...mysql, engine: { kind: 'mysql', prefix: '/opt/my sql' } })).toThrow('engine.prefix');
    expect(() => validateSpec({ ...mysql, engine: { kind: 'mysql', prefix: '/opt/mysql\nskip-grant-tables' } })).toThrow('engine.prefix');
  });
});
