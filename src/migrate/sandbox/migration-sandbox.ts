import { join } from 'node:path';
import { stringify } from 'yaml';
import { setTtl } from '../../dns/record-store.js';
import { openSession } from '../../mysql/mysql2-session.js';
import { sandboxDown } from '../../sandbox/sandbox-down.js';
import { SANDBOX_TIMEOUTS, type SandboxDeps } from '../../sandbox/sandbox-deps.js';
import { adminEndpoint } from '../../sandbox/sandbox-instance.js';
import { MYDNS_DATABASE, passwordFile, readPasswords, type SandboxPasswords } from '../../sandbox/sandbox-secrets.js';
import type { SandboxInstanceState, SandboxState } from '../../sandbox/sandbox-state.js';
import { sandboxUp } from '../../sandbox/sandbox-up.js';
import type { MysqldEngine } from '../../shard/mysqld/mysqld-engine.js';
import { sideConnector } from '../migrate-connect.js';
import type { MigrateConfigInput } from '../migrate-schema.js';
import { waitRunning } from '../replication-checks.js';
import { rdsProcedures } from './rds-procedures.js';

/**
 * "A MySQL master and an Aurora cluster built as its replica", on the sandbox (MariaDB 10.11 or
 * MySQL 9.7, `engine`): cluster 1 (aurora-test-1: a writer and a reader) plays the MySQL source
 * with its replica, and its records aurora-test-1-w / -r are the ones the migration moves;
 * cluster 2 (aurora-test-2) plays the Aurora cluster: its writer gets the emulated mysql.rds_*
 * procedures (Aurora 2's on MariaDB, Aurora 3's on MySQL) and replicates from the source through
 * them, its reader replicates from its writer (Aurora's readers share storage; here they follow
 * by binlog). Shared by the integration tests, the benchmark and docs/migrate.md.
 */
export interface MigrationSandbox {
  dir: string;
  state: SandboxState;
  passwords: SandboxPasswords;
  /** D/migrate.yaml */
  configFile: string;
  config: MigrateConfigInput;
  source: SandboxInstanceState;
  sourceReader: SandboxInstanceState;
  target: SandboxInstanceState;
  targetReader: SandboxInstanceState;
}

export interface MigrationSandboxOptions {
  dir: string;
  /** TTL the two records get before the migration (what step 1 waits out), seconds. */
  recordTtlS?: number;
  cutover?: MigrateConfigInput['cutover'];
  /** What both clusters run (MariaDB by default); the MyDNS database is MariaDB either way. */
  engine?: MysqldEngine | undefined;
}

export function migrateConfigFor(state: SandboxState, cutover: MigrateConfigInput['cutover']): MigrateConfigInput {
  const [src, tgt] = state.clusters as [SandboxState['clusters'][number], SandboxState['clusters'][number]];
  const inst = (i: SandboxInstanceState) => ({ id: i.id, host: i.host, port: i.port });
  return {
    source: { engine: state.engine.kind, writer: inst(src.instances[0] as SandboxInstanceState), readers: src.instances.slice(1).map(inst) },
    target: { engine: 'aurora-emulated', writer: inst(tgt.instances[0] as SandboxInstanceState), readers: tgt.instances.slice(1).map(inst) },
    admin: { user: 'dbfleet', password_file: passwordFile(state.dir, 'dbfleet') },
    replication: { user: 'repl', password_file: passwordFile(state.dir, 'repl') },
    write_users: [{ user: 'app', host: '%' }],
    dns: {
      dsn: `mysql://dbfleet@${state.dnsDb.host}:${state.dnsDb.port}/${MYDNS_DATABASE}`,
      zone: state.dns.zone,
      password_file: passwordFile(state.dir, 'dbfleet'),
      ...(state.dns.server ? { server: state.dns.server } : {}),
      writer_record: src.writer_record,
      reader_record: src.reader_record,
    },
    ...(cutover ? { cutover } : {}),
  };
}

/** Installs the rds_* procedures on the target writer and makes it a replica of the source through them. */
export async function attachAuroraLikeTarget(deps: SandboxDeps, source: SandboxInstanceState, target: SandboxInstanceState, p: SandboxPasswords): Promise<void> {
  const admin = await sideConnector(SANDBOX_TIMEOUTS, deps.logger)('aurora-emulated', adminEndpoint(target, p.dbfleet));
  try {
    for (const sql of rdsProcedures(admin.version.flavor === 'mysql' ? 'mysql' : 'mariadb')) await admin.session.query(sql);
    await admin.changeSource({ kind: 'gtid', host: source.host, port: source.port, user: 'repl', password: p.repl });
    await admin.startReplica();
    await waitRunning(admin, source, 15_000, (ms) => new Promise((r) => setTimeout(r, ms)));
  } finally {
    await admin.close();
  }
}

export async function migrationSandboxUp(deps: SandboxDeps, o: MigrationSandboxOptions): Promise<MigrationSandbox> {
  const state = await sandboxUp(deps, { dir: o.dir, clusters: 2, readers: 1, engine: o.engine });
  try {
    const passwords = await readPasswords(deps.host, state.dir);
    const [src, tgt] = state.clusters as [SandboxState['clusters'][number], SandboxState['clusters'][number]];
    const [source, sourceReader] = src.instances as [SandboxInstanceState, SandboxInstanceState];
    const [target, targetReader] = tgt.instances as [SandboxInstanceState, SandboxInstanceState];
    await attachAuroraLikeTarget(deps, source, target, passwords);
    const ttl = o.recordTtlS ?? 2;
    const dns = await openSession({ host: state.dnsDb.host, port: state.dnsDb.port, user: 'dbfleet', password: passwords.dbfleet, database: MYDNS_DATABASE }, SANDBOX_TIMEOUTS);
    try {
      for (const name of [src.writer_record, src.reader_record]) if (ttl !== 1) await setTtl(dns, state.dns.zone, name, 1, ttl, { actor: 'sandbox', why: 'migration sandbox: the TTL before the cutover' });
    } finally {
      await dns.close();
    }
    const config = migrateConfigFor(state, o.cutover);
    const configFile = join(state.dir, 'migrate.yaml');
    await deps.host.writeFile(configFile, `# written by the migration sandbox for ${state.dir}; passwords are in ${state.dir}/secrets (0600)\n${stringify(config)}`, 0o644);
    return { dir: state.dir, state, passwords, configFile, config, source, sourceReader, target, targetReader };
  } catch (e) {
    await sandboxDown(deps, state.dir).catch(() => undefined);
    throw e;
  }
}
