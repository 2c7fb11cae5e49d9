import { describe, expect, it } from 'vitest';
import { planLayout } from '../../src/sandbox/sandbox-layout.js';
import { renderMyCnf } from '../../src/shard/mysqld/my-cnf.js';
import { validateSpec, type MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';

describe('sandbox layout', () => {
  it('gives every instance its own 127.<slot>.<cluster>.<n> address, unique server ids and the seed names', () => {
    const l = planLayout(150, 2, 2);
    expect(l.clusters.map((c) => [c.name, c.writer_record, c.reader_record])).toEqual([
      ['aurora-test-1', 'aurora-test-1-w', 'aurora-test-1-r'],
      ['aurora-test-2', 'aurora-test-2-w', 'aurora-test-2-r'],
    ]);
    const all = l.clusters.flatMap((c) => c.instances);
    expect(all.map((i) => i.id)).toEqual([
      'aurora-test-1-instance-01', 'aurora-test-1-instance-02', 'aurora-test-1-instance-03',
      'aurora-test-2-instance-01', 'aurora-test-2-instance-02', 'aurora-test-2-instance-03',
    ]);
    expect(all.map((i) => i.host)).toEqual(['127.150.1.1', '127.150.1.2', '127.150.1.3', '127.150.2.1', '127.150.2.2', '127.150.2.3']);
    expect(new Set([...all.map((i) => i.serverId), l.dnsDb.serverId]).size).toBe(all.length + 1);
    expect(all.every((i) => i.port === 3306)).toBe(true);
    expect(all.filter((i) => i.role === 'writer').map((i) => i.id)).toEqual(['aurora-test-1-instance-01', 'aurora-test-2-instance-01']);
  });

  it.each([
    [0, 2, '--clusters'],
    [251, 2, '--clusters'],
    [1.5, 2, '--clusters'],
    [2, -1, '--readers'],
    [2, 16, '--readers'],
  ])('rejects clusters=%s readers=%s naming %s', (c, r, name) => {
    expect(() => planLayout(150, c, r)).toThrow(name);
  });
});

const spec: MysqldSpec = { name: 'shard-7', baseDir: '/srv/dbfleet', bindAddress: '10.0.1.17', port: 3306, serverId: 7, bufferPoolMb: 1024, readOnly: true, runAsRoot: false };

describe('my-<name>.cnf', () => {
  it('renders one process per secondary IP with its own socket, datadir and binlogs', () => {
    const cnf = renderMyCnf(spec);
    for (const line of [
      'bind-address = 10.0.1.17',
      'port = 3306',
      'socket = /srv/dbfleet/shard-7/mysqld.sock',
      'datadir = /srv/dbfleet/shard-7/data',
      'server_id = 7',
      'log_bin = /srv/dbfleet/shard-7/binlog/mysql-bin',
      'binlog_format = ROW',
      'read_only = ON',
      'innodb_buffer_pool_size = 1024M',
    ]) expect(cnf).toContain(`${line}\n`);
    expect(cnf).not.toContain('user = root');
    expect(renderMyCnf({ ...spec, runAsRoot: true })).toContain('user = root\n');
    expect(renderMyCnf({ ...spec, extra: { innodb_flush_log_at_trx_commit: '2' } })).toContain('innodb_flush_log_at_trx_commit = 2\n');
  });

  it.each([
    [{ name: '../etc' }, 'name'],
    [{ baseDir: 'relative' }, 'baseDir'],
    [{ baseDir: '/a b' }, 'baseDir'],
    [{ bindAddress: '10.0.0.1\nskip-grant-tables' }, 'bindAddress'],
    [{ port: 0 }, 'port'],
    [{ serverId: 0 }, 'serverId'],
    [{ extra: { 'skip-grant-tables\n': '1' } }, 'extra'],
    [{ baseDir: `/${'x'.repeat(100)}` }, 'socket path'],
  ])('rejects %o naming %s', (override, field) => {
    expect(() => validateSpec({ ...spec, ...override } as MysqldSpec)).toThrow(field);
  });
});
