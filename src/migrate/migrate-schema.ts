import { z } from 'zod';

/**
 * migrate.yaml: one MySQL -> Aurora migration. Validated once at the edge (schema -> defaults ->
 * frozen object); an error names the field and nothing is touched. Passwords only by reference
 * (password_file, 0600, or password_env), never in the file.
 */
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ACCOUNT = /^[A-Za-z0-9_.$-]{1,64}$/;
// An account's host part: a host name, an address, a '%' pattern; no quotes or spaces.
// MySQL user names have at most 32 characters; the frozen name adds '_frozen_dbfleet' (15).
const WRITE_USER = /^[A-Za-z0-9_.$-]{1,17}$/;
const ACCOUNT_HOST = /^[A-Za-z0-9_.%:-]{1,255}$/;
const HOST = /^[A-Za-z0-9:][A-Za-z0-9._:-]{0,254}$/;

const secretRef = {
  password_file: z.string().min(1).optional(),
  password_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
};

function oneSecret<T extends { password_file?: string | undefined; password_env?: string | undefined }>(v: T, ctx: z.RefinementCtx): void {
  if (!v.password_file && !v.password_env) ctx.addIssue({ code: 'custom', message: 'needs password_file or password_env', path: ['password_file'] });
  if (v.password_file && v.password_env) ctx.addIssue({ code: 'custom', message: 'give password_file or password_env, not both', path: ['password_env'] });
}

const instance = z.object({
  id: z.string().regex(NAME, 'letters, digits, . _ - only'),
  host: z.string().regex(HOST, 'must be an IP address or a host name'),
  port: z.number().int().min(1).max(65535).default(3306),
}).strict();

export const migrateConfigSchema = z
  .object({
    /** The MySQL master being migrated away from, and its replicas (where reads go back on rollback). */
    source: z.object({
      engine: z.enum(['mysql', 'mariadb']).default('mysql'),
      writer: instance,
      readers: z.array(instance).default([]),
    }).strict(),
    /**
     * The Aurora cluster, built as a replica of the source. engine `aurora-emulated` is the sandbox's
     * MariaDB with the mysql.rds_* procedures installed (docs/migrate.md, "What is emulated").
     */
    target: z
      .object({
        engine: z.enum(['aurora-mysql', 'aurora-emulated']).default('aurora-mysql'),
        writer: instance.optional(),
        readers: z.array(instance).default([]),
        /** Instead of writer/readers: read them from RDS (DescribeDBClusters/Instances) when the command starts. */
        discover: z.object({ rds_cluster: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,62}$/, 'must be an RDS DB cluster identifier'), region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as ap-northeast-1') }).strict().optional(),
      })
      .strict()
      .superRefine((t, ctx) => {
        if ((t.writer === undefined) === (t.discover === undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of writer (with readers) or discover', path: ['writer'] });
        if (t.discover && t.readers.length > 0) ctx.addIssue({ code: 'custom', message: 'readers are discovered with discover; do not list them', path: ['readers'] });
        if (t.discover && t.engine !== 'aurora-mysql') ctx.addIssue({ code: 'custom', message: 'discover needs engine aurora-mysql', path: ['engine'] });
      }),
    /** The account dbfleet runs the runbook as, on both sides (RENAME USER, KILL, replication control). */
    admin: z.object({ user: z.string().regex(ACCOUNT), ...secretRef }).strict().superRefine(oneSecret),
    /** The replication account the source uses to follow the target after the cutover (and the target to follow back on rollback). */
    replication: z.object({ user: z.string().regex(ACCOUNT), ...secretRef, ssl: z.boolean().default(false) }).strict().superRefine(oneSecret),
    /** The application's write accounts: renamed on the old writer to stop writes. */
    write_users: z
      .array(z.object({ user: z.string().regex(WRITE_USER, 'expected 1-17 characters from A-Z a-z 0-9 _ . $ - (the frozen name adds 15 and MySQL allows 32)'), host: z.string().regex(ACCOUNT_HOST).default('%') }).strict())
      .min(1, 'name at least one write user'),
    dns: z.object({
      dsn: z.string().regex(/^mysql:\/\/[^:@/\s]+@[^/\s]+\/[A-Za-z0-9_]+$/, 'expected mysql://USER@HOST:PORT/DATABASE (no password)'),
      zone: z.string().min(1),
      ...secretRef,
      /** PowerDNS "host:port" to check that the records are served (preflight); optional. */
      server: z.string().regex(/^[0-9.]+:\d{1,5}$/, 'expected ADDRESS:PORT').optional(),
      writer_record: z.string().regex(NAME),
      reader_record: z.string().regex(NAME),
    }).strict().superRefine(oneSecret),
    cutover: z.object({
      /** TTL of both records during the switch (seconds). */
      ttl_s: z.number().int().min(1).max(3600).default(1),
      /** Writes count as stopped when the old writer's binlog position stays put this long. */
      writes_stopped_ms: z.number().int().min(10).max(60_000).default(200),
      /**
       * Step 3 skips the writes_stopped_ms wait where the old writer proves no transaction can commit
       * any more: a MySQL old writer with super_read_only on, no prepared XA transaction and no
       * replication applier running (freeze-proof.ts). false: always wait for the still binlog.
       */
      writes_stopped_proof: z.boolean().default(true),
      /**
       * Server-side bound (seconds) on every lock wait of dbfleet's admin statements
       * (SET SESSION lock_wait_timeout on each admin session, innodb_lock_wait_timeout on the DNS
       * writes; MariaDB's max_statement_time around each RENAME USER, which lock_wait_timeout does
       * not bound there). In steps 3-7 each statement that can wait on a lock also has a client-side
       * timeout of this plus 1 s, and is killed on the server when it fires.
       */
      lock_wait_s: z.number().int().min(1).max(600).default(2),
      /** Upper bound of every replication wait (rename arrived, final position applied, replica started). */
      replication_wait_ms: z.number().int().min(100).max(3_600_000).default(30_000),
      /** Preflight: the target may lag at most this many seconds. */
      max_lag_s: z.number().int().min(0).max(3600).default(1),
      /** Preflight: a transaction open longer than this on the source refuses the cutover. */
      long_transaction_s: z.number().int().min(1).max(86_400).default(10),
      /** Weight of each new reader in the replica record. */
      reader_weight: z.number().int().min(1).max(65535).default(100),
      connect_timeout_ms: z.number().int().min(50).max(60_000).default(2_000),
      query_timeout_ms: z.number().int().min(50).max(600_000).default(10_000),
    }).strict().default({ ttl_s: 1, writes_stopped_ms: 200, writes_stopped_proof: true, lock_wait_s: 2, replication_wait_ms: 30_000, max_lag_s: 1, long_transaction_s: 10, reader_weight: 100, connect_timeout_ms: 2_000, query_timeout_ms: 10_000 }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, string>();
    const all = [
      ['source.writer', c.source.writer],
      ...c.source.readers.map((r, i) => [`source.readers[${i}]`, r] as const),
      ...(c.target.writer ? [['target.writer', c.target.writer] as const] : []),
      ...c.target.readers.map((r, i) => [`target.readers[${i}]`, r] as const),
    ] as const;
    for (const [field, inst] of all) {
      const key = `${inst.host}:${inst.port}`;
      const other = seen.get(key);
      if (other) ctx.addIssue({ code: 'custom', message: `${key} is also ${other}`, path: [...field.replace(/\[(\d+)\]/, '.$1').split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)), 'host'] });
      seen.set(key, field);
    }
    if (c.dns.writer_record === c.dns.reader_record) ctx.addIssue({ code: 'custom', message: 'must differ from dns.writer_record', path: ['dns', 'reader_record'] });
  });

export type MigrateConfig = z.output<typeof migrateConfigSchema>;
export type MigrateConfigInput = z.input<typeof migrateConfigSchema>;
export type MigrateInstance = z.output<typeof instance>;
