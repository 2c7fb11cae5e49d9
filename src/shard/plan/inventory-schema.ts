import { z } from 'zod';

/**
 * The consolidation inventory: what runs today (informational), the host types we may pack onto,
 * and the rules the packing must keep. Written by hand or generated; validated once at the edge,
 * and every error names the field (shards[12].peak_iops, policy.private_cidrs.ap-northeast-1d, ...).
 */

/** Becomes `my-<name>.cnf` and a mysqld process name: same rule as src/shard/mysqld. */
const SHARD_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const AZ_NAME = /^[a-z0-9][a-z0-9-]{0,40}$/;
const TYPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const MAX_SERVER_ID = 4_294_967_295;

const azSchema = z.string().regex(AZ_NAME, 'must be an availability zone name such as ap-northeast-1a');
const fraction = z.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a fraction of the capacity)');

export const cidrSchema = z
  .string()
  .regex(CIDR, 'must be an IPv4 CIDR such as 10.0.64.0/20')
  .refine((c) => {
    const m = CIDR.exec(c);
    if (!m) return false;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    return octets.every((o) => o <= 255) && prefix >= 8 && prefix <= 28;
  }, 'must have octets 0-255 and a prefix length from /8 to /28 (the sizes a VPC subnet can have)');

const placementSchema = z
  .object({
    host: z.string().min(1).max(253),
    az: azSchema,
  })
  .strict();

export const shardSchema = z
  .object({
    name: z.string().regex(SHARD_NAME, 'must be 1-63 letters, digits, "_" or "-", starting with a letter or digit (it names my-<name>.cnf)'),
    /** Where the shard runs today: informational (hosts before, seed source, what to retire). */
    master: placementSchema,
    replicas: z.array(placementSchema).default([]),
    data_gb: z.number().positive(),
    /** Peak vCPU the shard's mysqld uses; every copy is sized for it (any copy may become master). */
    peak_cpu: z.number().nonnegative(),
    peak_iops: z.number().nonnegative(),
    buffer_pool_gb: z.number().positive(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set([s.master.host]);
    s.replicas.forEach((r, i) => {
      if (seen.has(r.host)) ctx.addIssue({ code: 'custom', path: ['replicas', i, 'host'], message: `${r.host} is listed twice for this shard (master or another replica)` });
      seen.add(r.host);
    });
  });

export const hostTypeSchema = z
  .object({
    name: z.string().regex(TYPE_NAME, 'must be an instance type name such as i3en.2xlarge'),
    vcpu: z.number().int().positive(),
    memory_gb: z.number().positive(),
    nvme_gb: z.number().positive(),
    /** Sustained IOPS of the local NVMe (use the write figure: writes are what a shard saturates). */
    nvme_iops: z.number().positive(),
    /** Private IPv4 addresses the instance can hold (ENIs x addresses per ENI). One is the host's own. */
    max_private_ips: z.number().int().min(2, 'must be at least 2 (the host\'s own address and one mysqld)'),
    hourly_cost: z.number().nonnegative().optional(),
  })
  .strict();

export const headroomSchema = z
  .object({
    cpu: fraction.default(0.7),
    memory: fraction.default(0.8),
    disk: fraction.default(0.75),
    iops: fraction.default(0.7),
  })
  .strict();

export const policySchema = z
  .object({
    /** Copies of every shard: a master and copies-1 replicas (the seed keeps four on local NVMe). */
    copies: z.number().int().min(1).max(9).default(4),
    /** The fraction of each resource a host may use. */
    headroom: headroomSchema.prefault({}),
    azs: z.array(azSchema).min(1),
    /**
     * balanced: every AZ holds floor or ceil of copies/azs copies of each shard (4 copies in 3 AZs:
     * 2+1+1). strict: every copy in a different AZ (needs at least as many AZs as copies).
     */
    az_spread: z.enum(['balanced', 'strict']).default('balanced'),
    port: z.number().int().min(1).max(65535).default(3306),
    base_server_id: z.number().int().min(1).max(MAX_SERVER_ID).default(10_000),
    /** Memory a mysqld needs beyond its buffer pool (connections, dictionary, per-thread buffers). */
    mysqld_overhead_gb: z.number().nonnegative().default(1),
    /** hosts: fewest target hosts (ties: cheaper). cost: lowest hourly cost (needs hourly_cost). */
    objective: z.enum(['hosts', 'cost']).default('hosts'),
    /** Pack onto this host type only, instead of choosing among host_types. */
    host_type: z.string().optional(),
    /** Per AZ, the subnet range secondary IPs are taken from; without it the plan holds placeholders. */
    private_cidrs: z.record(azSchema, cidrSchema).optional(),
    host_prefix: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, 'must be 1-21 lowercase letters, digits or "-", starting with a letter').default('db'),
    config_dir: z.string().regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path without spaces or quotes').default('/etc'),
    /** How many shard moves may seed onto (or from) one host at the same time, per wave. */
    seeds_per_host: z.number().int().min(1).max(64).default(1),
  })
  .strict();

export const inventorySchema = z
  .object({
    /** Servers in use today; default: the distinct hosts named by the shards' masters and replicas. */
    current_servers: z.number().int().positive().optional(),
    shards: z.array(shardSchema).min(1),
    host_types: z.array(hostTypeSchema).min(1),
    policy: policySchema,
  })
  .strict()
  .superRefine((inv, ctx) => {
    const issue = (path: (string | number)[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    firstDuplicates(inv.shards.map((s) => s.name)).forEach((i) => issue(['shards', i, 'name'], `${inv.shards[i]?.name} is used by an earlier shard`));
    firstDuplicates(inv.host_types.map((t) => t.name)).forEach((i) => issue(['host_types', i, 'name'], `${inv.host_types[i]?.name} is listed twice`));
    firstDuplicates(inv.policy.azs).forEach((i) => issue(['policy', 'azs', i], `${inv.policy.azs[i]} is listed twice`));
    const p = inv.policy;
    if (p.host_type !== undefined && !inv.host_types.some((t) => t.name === p.host_type)) {
      issue(['policy', 'host_type'], `${p.host_type} is not one of host_types (${inv.host_types.map((t) => t.name).join(', ')})`);
    }
    if (p.objective === 'cost') {
      inv.host_types.forEach((t, i) => {
        if (t.hourly_cost === undefined) issue(['host_types', i, 'hourly_cost'], 'is required when policy.objective is cost');
      });
    }
    if (p.private_cidrs !== undefined) {
      for (const az of Object.keys(p.private_cidrs)) {
        if (!p.azs.includes(az)) issue(['policy', 'private_cidrs', az], `${az} is not one of policy.azs`);
      }
      const missing = p.azs.filter((az) => p.private_cidrs?.[az] === undefined);
      if (missing.length > 0) issue(['policy', 'private_cidrs'], `has no range for ${missing.join(', ')} (give one per AZ in policy.azs, or leave it out for placeholders)`);
    }
    const lastId = p.base_server_id + inv.shards.length * p.copies - 1;
    if (lastId > MAX_SERVER_ID) issue(['policy', 'base_server_id'], `leaves too few server_ids: ${inv.shards.length * p.copies} processes would end at ${lastId} (max ${MAX_SERVER_ID})`);
  });

/** Indexes of entries equal to an earlier entry. */
function firstDuplicates(values: readonly string[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  values.forEach((v, i) => {
    if (seen.has(v)) out.push(i);
    seen.add(v);
  });
  return out;
}

export type InventoryInput = z.input<typeof inventorySchema>;
export type Inventory = z.output<typeof inventorySchema>;
export type ShardSpec = z.output<typeof shardSchema>;
export type HostType = z.output<typeof hostTypeSchema>;
export type Policy = z.output<typeof policySchema>;
export type Headroom = z.output<typeof headroomSchema>;
