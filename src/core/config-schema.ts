import { z } from 'zod';
import { isIP } from 'node:net';

/** DNS labels and dbfleet names: letters, digits, dot, dash, underscore; no quoting tricks. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const nameSchema = z.string().regex(NAME, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');
const hostSchema = z
  .string()
  .min(1)
  .refine((h) => isIP(h) !== 0 || /^[A-Za-z0-9.-]{1,253}$/.test(h), 'must be an IP address or a host name');
const portSchema = z.number().int().min(1).max(65535);

/**
 * Where a secret comes from: an environment variable or a file readable only by its owner.
 * Secrets are never written inline in the config.
 */
export const secretSourceSchema = z
  .object({
    password_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
    password_file: z.string().min(1).optional(),
  })
  .strict();

export const credentialsSchema = secretSourceSchema.extend({ user: nameSchema.default('dbfleet') }).strict();

export const dnsSectionSchema = z
  .object({
    dsn: z
      .string()
      .regex(/^mysql:\/\/[^:@/\s]+@[^/\s]+\/[A-Za-z0-9_]+$/, 'must look like mysql://USER@HOST:PORT/DATABASE (no password: use password_env or password_file)'),
    zone: z.string().regex(/^([A-Za-z0-9-]+\.)+$/, 'must be a DNS zone ending with a dot, e.g. db.example.internal.'),
    password_env: secretSourceSchema.shape.password_env,
    password_file: secretSourceSchema.shape.password_file,
    server: z.string().regex(/^[0-9.]+:\d+$/, 'must be HOST:PORT').optional(),
  })
  .strict();

const hookSchema = z
  .object({
    command: z.string().min(1).regex(/^\//, 'must be an absolute path to an executable'),
    args: z.array(z.string()).default([]),
    timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();

export const checkerSectionSchema = z
  .object({
    interval_ms: z.number().int().min(50).max(60_000).default(500),
    connect_timeout_ms: z.number().int().min(50).max(60_000).default(1000),
    query_timeout_ms: z.number().int().min(50).max(60_000).default(1000),
    fail_after: z.number().int().min(1).max(100).default(2),
    recover_after: z.number().int().min(1).max(100).default(3),
    fallback_weight: z.number().int().min(1).max(1000).default(100),
    /** Weight of a healthy reader in the reader record. */
    reader_weight: z.number().int().min(1).max(1000).default(100),
    /** Every Nth probe of an instance opens a NEW connection (the seed's conntrack outage). */
    new_connection_every: z.number().int().min(1).max(1000).default(10),
    /** A second writer flip of one cluster within this window is held (anti-flapping). */
    writer_flip_min_interval_ms: z.number().int().min(0).max(3_600_000).default(3000),
    /** The HA lease in the MyDNS database: how long a holder's claim lasts without renewal. */
    lease_ttl_ms: z.number().int().min(500).max(600_000).default(3000),
    /** Loopback address and port for /metrics and /healthz; port 0 turns the endpoint off. */
    http_address: z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'must be a 127.x.y.z loopback address').default('127.0.0.1'),
    http_port: z.number().int().min(0).max(65535).default(0),
    /** How often discovered topologies (RDS) are refreshed; failover never waits on it. */
    topology_refresh_ms: z.number().int().min(1000).max(3_600_000).default(60_000),
    hooks: z
      .object({ before_writer_change: hookSchema.optional(), after_writer_change: hookSchema.optional() })
      .strict()
      .default({}),
  })
  .strict();

export const instanceSchema = z
  .object({
    id: nameSchema,
    host: hostSchema,
    port: portSchema.default(3306),
    socket: z.string().optional(),
  })
  .strict();

export const clusterSchema = z
  .object({
    name: nameSchema,
    engine: z.enum(['aurora-mysql', 'mysql', 'mariadb']),
    writer_record: nameSchema,
    reader_record: nameSchema,
    instances: z.array(instanceSchema).min(1).optional(),
    discover: z.object({ rds_cluster: nameSchema, region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as ap-northeast-1') }).strict().optional(),
  })
  .strict()
  .refine((c) => (c.instances === undefined) !== (c.discover === undefined), {
    message: 'give exactly one of instances or discover',
  })
  .refine((c) => !c.instances || new Set(c.instances.map((i) => i.id)).size === c.instances.length, {
    message: 'instance ids must be unique',
    path: ['instances'],
  });

/** The account and table `dbfleet probe` (the downtime meter) writes to and reads from. */
export const probeSectionSchema = secretSourceSchema
  .extend({
    user: nameSchema,
    database: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be a database name of letters, digits and _'),
    /** Needs columns client VARCHAR and seq BIGINT (the sandbox's app.writes has them). */
    table: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be a table name of letters, digits and _').default('writes'),
  })
  .strict();

/** What an online switchover needs beyond the cluster: whose connections to end, what to refuse. */
export const switchoverSectionSchema = z
  .object({
    app_users: z.array(nameSchema).default([]),
    max_lag_seconds: z.number().int().min(0).max(3600).default(1),
    long_transaction_seconds: z.number().int().min(1).max(86_400).default(10),
    catch_up_timeout_ms: z.number().int().min(100).max(600_000).default(5_000),
    /** The server-side bound on read_only = 1 (lock_wait_timeout): how long writes may queue behind it. */
    block_writes_timeout_seconds: z.number().int().min(1).max(60).default(1),
    /** A write, DDL or SELECT ... FOR UPDATE running this long on the master makes the precheck refuse. */
    long_statement_seconds: z.number().int().min(1).max(86_400).default(5),
  })
  .strict();

const absolutePath = z.string().regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path of letters, digits, ".", "_", "/" or "-"');

/** What the target hosts of a consolidation run: MariaDB (the default) or Oracle MySQL 8.0.17+. */
const targetEngineSchema = z.enum(['mariadb', 'mysql']);

/** How `shard apply` reaches a target host: over SSH (host key checked), or this machine itself. */
export const consolidationHostSchema = z
  .object({
    /** What this host runs, when it differs from consolidation.engine. */
    engine: targetEngineSchema.optional(),
    /** MySQL from a prefix laid out as scripts/ensure-mysql makes it (bin/mysqld, bin/mysql, bin/mysqldump); else from PATH. */
    mysql_prefix: absolutePath.optional(),
    /** The plan's host name (db-1a-001). */
    name: nameSchema,
    /** Each mysqld gets <base_dir>/<shard>/ (datadir, binlogs, socket, logs); the template lives in <base_dir>/template. */
    base_dir: absolutePath,
    /** Where my-<shard>.cnf goes on this host, instead of the plan's config_path directory. */
    config_dir: absolutePath.optional(),
    local: z.literal(true).optional(),
    ssh: z
      .object({
        host: hostSchema,
        port: portSchema.default(22),
        user: nameSchema,
        identity_file: absolutePath,
        known_hosts: absolutePath,
        trust_on_first_use: z.boolean().default(false),
        connect_timeout_ms: z.number().int().min(500).max(120_000).default(10_000),
      })
      .strict()
      .optional(),
    /** EC2 only: the ENI the secondary addresses go on, and its device on the host. */
    eni_id: z.string().regex(/^eni-[0-9a-f]{8,17}$/, 'must be an ENI id such as eni-0a1b2c3d4e5f60718').optional(),
    device: z.string().regex(/^[a-z][a-z0-9]{0,9}$/, 'must be an interface name such as eth0').default('eth0'),
  })
  .strict()
  .refine((h) => (h.local === true) !== (h.ssh !== undefined), { message: 'give exactly one of ssh or local: true' });

export const consolidationSectionSchema = z
  .object({
    /** What every target host runs (a host's own `engine` overrides it); its shards' clusters must run the same. */
    engine: targetEngineSchema.default('mariadb'),
    /** MySQL's prefix for every host that runs mysql (a host's own `mysql_prefix` overrides it). */
    mysql_prefix: absolutePath.optional(),
    /** How new copies are seeded: `auto` uses MySQL's CLONE where both sides allow it, else a logical dump; `clone` refuses without it. */
    seed_method: z.enum(['auto', 'clone', 'dump']).default('auto'),
    hosts: z.array(consolidationHostSchema).min(1),
    ip_provider: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('loopback'),
          pool: z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.0\/24$/, 'must look like 127.X.Y.0/24'),
          allocation_file: absolutePath,
        })
        .strict(),
      z.object({ kind: z.literal('ec2'), region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as ap-northeast-1') }).strict(),
    ]),
    /** Run mysqld as root (the sandbox, where the tests run as root); false in production. */
    run_as_root: z.boolean().default(false),
    /** Extra [mysqld] settings for every new process. */
    mysqld_extra: z.record(z.string(), z.string()).default({}),
    seed_timeout_ms: z.number().int().min(1_000).max(86_400_000).default(21_600_000),
    catch_up_timeout_ms: z.number().int().min(1_000).max(86_400_000).default(21_600_000),
    verify_timeout_ms: z.number().int().min(1_000).max(86_400_000).default(3_600_000),
    /** Old servers are retired only this long after their shard's switchover. */
    observation_minutes: z.number().min(0).max(525_600).default(1_440),
  })
  .strict()
  .refine((c) => new Set(c.hosts.map((h) => h.name)).size === c.hosts.length, { message: 'host names must be unique', path: ['hosts'] })
  .refine((c) => c.ip_provider.kind !== 'ec2' || c.hosts.every((h) => h.eni_id !== undefined), {
    message: 'every host needs eni_id when ip_provider.kind is ec2',
    path: ['hosts'],
  })
  .superRefine((c, ctx) => {
    const engineOf = (h: { engine?: 'mariadb' | 'mysql' | undefined }): 'mariadb' | 'mysql' => h.engine ?? c.engine;
    c.hosts.forEach((h, i) => {
      if (h.mysql_prefix !== undefined && engineOf(h) !== 'mysql') ctx.addIssue({ code: 'custom', message: `applies to engine mysql only; ${h.name} runs ${engineOf(h)}`, path: ['hosts', i, 'mysql_prefix'] });
    });
    if (c.mysql_prefix !== undefined && !c.hosts.some((h) => engineOf(h) === 'mysql')) ctx.addIssue({ code: 'custom', message: 'applies to engine mysql only, and no host runs mysql', path: ['mysql_prefix'] });
    if (c.seed_method === 'clone') {
      c.hosts.forEach((h, i) => {
        if (engineOf(h) !== 'mysql') ctx.addIssue({ code: 'custom', message: `clone needs engine mysql on every host; ${h.name} runs ${engineOf(h)}`, path: ['hosts', i, 'engine'] });
      });
    }
  });

export const fleetConfigSchema = z
  .object({
    dns: dnsSectionSchema,
    mysql: credentialsSchema.default({ user: 'dbfleet' }),
    checker: checkerSectionSchema.prefault({}),
    clusters: z.array(clusterSchema).default([]),
    probe: probeSectionSchema.optional(),
    /** The replication account (re-pointing replicas in a switchover, reverse replication). */
    replication: credentialsSchema.optional(),
    switchover: switchoverSectionSchema.prefault({}),
    /** Target hosts and secondary addresses for `shard apply` (the consolidator). */
    consolidation: consolidationSectionSchema.optional(),
  })
  .strict()
  .refine((c) => new Set(c.clusters.map((x) => x.name)).size === c.clusters.length, {
    message: 'cluster names must be unique',
    path: ['clusters'],
  });

export type FleetConfigInput = z.input<typeof fleetConfigSchema>;
export type FleetConfig = z.output<typeof fleetConfigSchema>;
export type ClusterConfig = z.output<typeof clusterSchema>;
export type InstanceConfig = z.output<typeof instanceSchema>;
export type DnsSection = z.output<typeof dnsSectionSchema>;
export type CheckerSection = z.output<typeof checkerSectionSchema>;
export type Credentials = z.output<typeof credentialsSchema>;
export type ProbeSection = z.output<typeof probeSectionSchema>;
export type SwitchoverSection = z.output<typeof switchoverSectionSchema>;
export type ConsolidationSection = z.output<typeof consolidationSectionSchema>;
export type ConsolidationHost = z.output<typeof consolidationHostSchema>;
