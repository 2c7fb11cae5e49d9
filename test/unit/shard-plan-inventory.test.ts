import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../src/core/errors.js';
import { loadInventory, validateInventory } from '../../src/shard/plan/inventory-load.js';

/** The inventory schema: the shipped example is valid, defaults fill in, and every error names its field. */
const EXAMPLE = join(import.meta.dirname, 'shard-plan-example.yaml');
type Path = readonly (string | number)[];
const DELETE = Symbol('delete');
const example = (): unknown => parseYaml(readFileSync(EXAMPLE, 'utf8'));

/** Sets (or deletes) the value at a path inside a parsed document. */
function setPath(doc: unknown, path: Path, value: unknown): void {
  let node = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === DELETE) delete node[last];
  else node[last] = value;
}

function errorOf(...edits: [Path, unknown][]): string {
  const doc = example();
  for (const [path, value] of edits) setPath(doc, path, value);
  try {
    validateInventory(doc, 'inventory.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).cliExitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error('expected the inventory to be rejected');
}

describe('inventory schema', () => {
  it('accepts the shipped example and fills the defaults', async () => {
    const inv = await loadInventory(EXAMPLE);
    expect(inv.shards).toHaveLength(8);
    expect(inv.shards[0]).toMatchObject({ name: 'user-01', data_gb: 420, buffer_pool_gb: 16, master: { host: '10.10.1.11', az: 'ap-northeast-1a' } });
    expect(inv.policy).toMatchObject({ copies: 4, az_spread: 'balanced', seeds_per_host: 1, host_prefix: 'db', objective: 'cost' });
    expect(Object.isFrozen(inv.shards[0])).toBe(true);
  });

  it('fills the seed\'s defaults for a minimal policy', () => {
    const doc = example();
    setPath(doc, ['policy'], { azs: ['ap-northeast-1a'] });
    const inv = validateInventory(doc);
    expect(inv.policy).toMatchObject({ copies: 4, headroom: { cpu: 0.7, memory: 0.8, disk: 0.75, iops: 0.7 }, port: 3306, mysqld_overhead_gb: 1, objective: 'hosts', config_dir: '/etc' });
  });

  it.each<[string, Path, unknown, string]>([
    ['a negative IOPS figure', ['shards', 1, 'peak_iops'], -5, 'shards[1].peak_iops'],
    ['a data size given as a string', ['shards', 2, 'data_gb'], '500G', 'shards[2].data_gb'],
    ['a shard name with a slash (it names my-<name>.cnf)', ['shards', 0, 'name'], 'user/01', 'shards[0].name'],
    ['a duplicate shard name', ['shards', 3, 'name'], 'user-01', 'shards[3].name'],
    ['a replica on the master\'s host', ['shards', 0, 'replicas', 1, 'host'], '10.10.1.11', 'shards[0].replicas[1].host'],
    ['an unknown key in a shard', ['shards', 0, 'disk_gb'], 10, 'shards[0]'],
    ['no shards at all', ['shards'], [], 'shards'],
    ['a host type that holds no mysqld', ['host_types', 0, 'max_private_ips'], 1, 'host_types[0].max_private_ips'],
    ['a duplicate host type', ['host_types', 2, 'name'], 'i3en.xlarge', 'host_types[2].name'],
    ['fractional vCPUs', ['host_types', 1, 'vcpu'], 7.5, 'host_types[1].vcpu'],
    ['a headroom above 1', ['policy', 'headroom', 'cpu'], 1.5, 'policy.headroom.cpu'],
    ['a zero headroom', ['policy', 'headroom', 'disk'], 0, 'policy.headroom.disk'],
    ['no AZs', ['policy', 'azs'], DELETE, 'policy.azs'],
    ['a duplicate AZ', ['policy', 'azs'], ['ap-northeast-1a', 'ap-northeast-1a'], 'policy.azs[1]'],
    ['zero copies', ['policy', 'copies'], 0, 'policy.copies'],
    ['an unknown spread rule', ['policy', 'az_spread'], 'wide', 'policy.az_spread'],
    ['a pinned host type that is not listed', ['policy', 'host_type'], 'r5.large', 'policy.host_type'],
    ['objective cost without a price', ['host_types', 1, 'hourly_cost'], DELETE, 'host_types[1].hourly_cost'],
    ['an AZ without an address range', ['policy', 'private_cidrs', 'ap-northeast-1d'], DELETE, 'policy.private_cidrs'],
    ['a range for an AZ not in azs', ['policy', 'private_cidrs', 'ap-northeast-1b'], '10.9.0.0/24', 'policy.private_cidrs.ap-northeast-1b'],
    ['a range smaller than a subnet can be', ['policy', 'private_cidrs', 'ap-northeast-1a'], '10.20.16.0/30', 'policy.private_cidrs.ap-northeast-1a'],
    ['a range with a bad octet', ['policy', 'private_cidrs', 'ap-northeast-1c'], '10.300.0.0/24', 'policy.private_cidrs.ap-northeast-1c'],
    ['server_ids that run past the maximum', ['policy', 'base_server_id'], 4_294_967_290, 'policy.base_server_id'],
    ['a relative config dir', ['policy', 'config_dir'], 'etc/mysql', 'policy.config_dir'],
    ['an unknown policy key', ['policy', 'replicas'], 3, 'policy'],
  ])('rejects %s, naming the field', (_what, path, value, field) => {
    expect(errorOf([path, value])).toContain(`  ${field}: `);
  });

  it('names every bad field at once, not only the first', () => {
    const message = errorOf([['shards', 0, 'peak_cpu'], -1], [['host_types', 0, 'nvme_gb'], 0]);
    expect(message).toContain('shards[0].peak_cpu');
    expect(message).toContain('host_types[0].nvme_gb');
  });

  it('docs/shard-plan.md shows this very example', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'shard-plan.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(readFileSync(EXAMPLE, 'utf8'));
  });

  it('refuses a file that is missing or not YAML, before planning anything', async () => {
    await expect(loadInventory('/nonexistent/inventory.yaml')).rejects.toThrow(/cannot read config file/);
  });
});
