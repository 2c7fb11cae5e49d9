import { describe, expect, it } from 'vitest';
import { validate } from '../../src/core/config-load.js';
import { ConfigError } from '../../src/core/errors.js';
import { migrateConfigSchema, type MigrateConfigInput } from '../../src/migrate/migrate-schema.js';

const good: MigrateConfigInput = {
  source: { engine: 'mysql', writer: { id: 'db-main', host: '10.0.0.10' }, readers: [{ id: 'db-main-r1', host: '10.0.0.11' }] },
  target: { engine: 'aurora-mysql', writer: { id: 'aurora-1', host: '10.0.1.10' }, readers: [{ id: 'aurora-2', host: '10.0.1.11' }] },
  admin: { user: 'dbfleet', password_env: 'DBFLEET_MYSQL_PASSWORD' },
  replication: { user: 'repl', password_file: '/etc/dbfleet/repl.password' },
  write_users: [{ user: 'app' }],
  dns: { dsn: 'mysql://dbfleet@10.0.53.1:3306/mydns', zone: 'db.example.internal.', password_file: '/etc/dbfleet/dns.password', writer_record: 'main-w', reader_record: 'main-r' },
};

function errorOf(doc: unknown): string {
  try {
    validate(migrateConfigSchema, doc, 'migrate.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('migrate.yaml schema', () => {
  it('fills defaults: port 3306, host % for write users, the cutover timings', () => {
    const c = validate(migrateConfigSchema, good, 'migrate.yaml');
    expect(c.source.writer.port).toBe(3306);
    expect(c.write_users).toEqual([{ user: 'app', host: '%' }]);
    expect(c.cutover).toMatchObject({ ttl_s: 1, writes_stopped_ms: 200, writes_stopped_proof: true, lock_wait_s: 2, replication_wait_ms: 30_000, max_lag_s: 1, long_transaction_s: 10 });
    expect(Object.isFrozen(c.cutover)).toBe(true);
  });

  it.each<[string, (d: Record<string, unknown> & typeof good) => void, string]>([
    ['no write user', (d) => (d.write_users = []), 'write_users: name at least one write user'],
    ['a write user too long for the frozen name', (d) => (d.write_users = [{ user: 'a_very_long_app_user' }]), 'write_users[0].user: expected 1-17 characters'],
    ['a quote in a user', (d) => (d.write_users = [{ user: "app'--" }]), 'write_users[0].user'],
    ['a bad host', (d) => (d.target = { ...good.target, writer: { id: 'x', host: 'not a host' } }), 'target.writer.host: must be an IP address or a host name'],
    ['no password source', (d) => (d.admin = { user: 'dbfleet' }), 'admin.password_file: needs password_file or password_env'],
    ['a password in the DSN', (d) => (d.dns = { ...good.dns, dsn: 'mysql://dbfleet:secret@10.0.53.1:3306/mydns' }), 'dns.dsn: expected mysql://USER@HOST:PORT/DATABASE (no password)'],
    ['the same instance on both sides', (d) => (d.target = { ...good.target, writer: { id: 'aurora-1', host: '10.0.0.10' } }), 'target.writer.host: 10.0.0.10:3306 is also source.writer'],
    ['an unknown engine', (d) => (d.target = { ...good.target, engine: 'postgres' as never }), 'target.engine'],
    ['an unknown field', (d) => ((d as Record<string, unknown>)['extra'] = 1), 'extra'],
    ['both listed and discovered instances', (d) => (d.target = { ...good.target, discover: { rds_cluster: 'aurora-main', region: 'ap-northeast-1' } }), 'target.writer: give exactly one of writer (with readers) or discover'],
    ['discover with a bad region', (d) => (d.target = { discover: { rds_cluster: 'aurora-main', region: 'tokyo' } }), 'target.discover.region: must be an AWS region'],
    ['one record for both', (d) => (d.dns = { ...good.dns, reader_record: 'main-w' }), 'dns.reader_record: must differ from dns.writer_record'],
    ['an unbounded lock wait', (d) => (d.cutover = { lock_wait_s: 0 }), 'cutover.lock_wait_s'],
  ])('refuses %s, naming the field', (_what, change, message) => {
    const d = structuredClone(good) as Record<string, unknown> & typeof good;
    change(d);
    expect(errorOf(d)).toContain(message);
  });
});
