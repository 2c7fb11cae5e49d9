import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFleetConfig, validate } from '../../src/core/config-load.js';
import { fleetConfigSchema } from '../../src/core/config-schema.js';
import { resolvePassword } from '../../src/core/secrets.js';
import { ConfigError } from '../../src/core/errors.js';

const good = {
  dns: { dsn: 'mysql://dbfleet@127.0.53.1:3306/mydns', zone: 'db.example.internal.' },
  clusters: [
    {
      name: 'aurora-test',
      engine: 'aurora-mysql',
      writer_record: 'aurora-test-w',
      reader_record: 'aurora-test-r',
      instances: [{ id: 'aurora-test-instance-01', host: '127.0.10.1', port: 3306 }],
    },
  ],
};

function errorOf(doc: unknown): string {
  try {
    validate(fleetConfigSchema, doc, 'fleet.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).cliExitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('fleet config schema', () => {
  it('accepts the design document example and fills the checker defaults', () => {
    const c = validate(fleetConfigSchema, good, 'fleet.yaml');
    expect(c.checker).toMatchObject({ interval_ms: 500, connect_timeout_ms: 1000, query_timeout_ms: 1000, fail_after: 2, recover_after: 3, fallback_weight: 100 });
    expect(c.checker).toMatchObject({ reader_weight: 100, new_connection_every: 10, writer_flip_min_interval_ms: 3000, lease_ttl_ms: 3000, http_port: 0, hooks: {} });
    expect(c.mysql.user).toBe('dbfleet');
    expect(Object.isFrozen(c.clusters[0])).toBe(true);
  });

  it.each([
    ['a bad instance host', { ...good, clusters: [{ ...good.clusters[0], instances: [{ id: 'i1', host: 'bad host!' }] }] }, 'clusters[0].instances[0].host'],
    ['a port out of range', { ...good, clusters: [{ ...good.clusters[0], instances: [{ id: 'i1', host: '127.0.0.1', port: 70000 }] }] }, 'clusters[0].instances[0].port'],
    ['an unknown engine', { ...good, clusters: [{ ...good.clusters[0], engine: 'postgres' }] }, 'clusters[0].engine'],
    ['a DSN with an inline password', { ...good, dns: { ...good.dns, dsn: 'mysql://dbfleet:secret@127.0.0.1:3306/mydns' } }, 'dns.dsn'],
    ['a zone without the final dot', { ...good, dns: { ...good.dns, zone: 'db.example' } }, 'dns.zone'],
    ['a record name with a quote', { ...good, clusters: [{ ...good.clusters[0], writer_record: "w'; DROP" }] }, 'clusters[0].writer_record'],
    ['an unknown key', { ...good, checker: { interval: 5 } }, 'checker'],
    ['a zero interval', { ...good, checker: { interval_ms: 0 } }, 'checker.interval_ms'],
    ['a non-loopback metrics address', { ...good, checker: { http_address: '0.0.0.0' } }, 'checker.http_address'],
    ['a hook given as a shell string', { ...good, checker: { hooks: { before_writer_change: { command: 'notify.sh --now' } } } }, 'checker.hooks.before_writer_change.command'],
    ['duplicate instance ids', { ...good, clusters: [{ ...good.clusters[0], instances: [{ id: 'a', host: '127.0.0.1' }, { id: 'a', host: '127.0.0.2' }] }] }, 'clusters[0].instances'],
    ['duplicate cluster names', { ...good, clusters: [good.clusters[0], good.clusters[0]] }, 'clusters'],
    ['neither instances nor discover', { ...good, clusters: [{ ...good.clusters[0], instances: undefined }] }, 'exactly one of instances or discover'],
  ])('rejects %s, naming the field', (_what, doc, field) => {
    expect(errorOf(doc)).toContain(field);
  });

  it('reads YAML from a file and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-cfg-'));
    const file = join(dir, 'fleet.yaml');
    await writeFile(file, 'dns:\n  dsn: nope\n  zone: z.\n');
    await expect(loadFleetConfig(file)).rejects.toThrow(/fleet\.yaml is not a valid config:\n {2}dns\.dsn/);
    await expect(loadFleetConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read config file .*ENOENT/);
    await writeFile(file, 'dns: [unclosed');
    await expect(loadFleetConfig(file)).rejects.toThrow(/not valid YAML/);
  });
});

describe('password sources', () => {
  it('reads an environment variable passed in by the CLI', async () => {
    expect(await resolvePassword({ password_env: 'X_PW' }, { X_PW: 's3cret' }, 'dns')).toBe('s3cret');
    await expect(resolvePassword({ password_env: 'X_PW' }, {}, 'dns')).rejects.toThrow(/dns.password_env names X_PW, which is not set/);
  });

  it('reads a 0600 file and refuses one that others can read, without printing its content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-pw-'));
    const file = join(dir, 'pw');
    await writeFile(file, 'hunter2\n');
    await chmod(file, 0o600);
    expect(await resolvePassword({ password_file: file }, {}, 'mysql')).toBe('hunter2');
    await chmod(file, 0o644);
    const err = await resolvePassword({ password_file: file }, {}, 'mysql').catch((e: Error) => e);
    expect(String(err)).toMatch(/readable by others \(mode 644\)/);
    expect(String(err)).not.toContain('hunter2');
    expect(await resolvePassword({}, {}, 'mysql')).toBeUndefined();
  });
});
