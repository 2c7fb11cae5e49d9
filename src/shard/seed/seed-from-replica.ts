import { RemoteError } from '../../core/errors.js';
import type { Host } from '../../host/host.js';
import type { Endpoint, MysqlAdmin, Timeouts } from '../../mysql/admin.js';
import { describeVersion } from '../../mysql/server-version.js';
import { dialectOf } from '../engine/admin-dialect.js';
import { engineBinaries } from '../mysqld/mysqld-engine.js';
import type { MysqldManager } from '../mysqld/mysqld-manager.js';
import { mysqldPaths, type MysqldSpec } from '../mysqld/mysqld-spec.js';
import { copyAccounts } from './copy-accounts.js';
import { CloneFailedError, seedByClone } from './seed-by-clone.js';
import { seedByDump } from './seed-by-dump.js';
import { checkSourceQuiet } from './source-quiet.js';
import { chooseSeedMethod, type CloneSide, type SeedMethod, type SeedMethodChoice, type SeedMethodFacts } from './seed-method.js';
import { RootClient, SYSTEM_DATABASES } from './root-client.js';

export interface SeedOptions {
  /** The replica the data is copied from (never the master: the copy costs it I/O). */
  source: { host: string; port: number };
  /** The new, empty mysqld: on its host, managed there (a clone restarts it), reached as root over its socket. */
  target: { host: Host; manager: MysqldManager; spec: MysqldSpec };
  /** An account on the source that can read everything and see the GTID position (and, for CLONE, holds BACKUP_ADMIN). */
  account: { user: string; password: string | undefined };
  /** A directory on the target host for a dump and a short-lived 0600 defaults file. */
  workDir: string;
  connect: (e: Endpoint, t: Timeouts) => Promise<MysqlAdmin>;
  /** consolidation.seed_method (default `auto`). */
  method?: SeedMethodChoice;
  timeoutMs?: number;
  /** MySQL: the dump's bound on waiting for its global read lock on the source (default DUMP_LOCK_WAIT_S). */
  dumpLockWaitS?: number;
}

export interface SeedResult {
  method: SeedMethod;
  /** Why that method ran (for the journal). */
  why: string;
  databases: string[];
  /** The GTID position the copy is consistent with: where the new replica starts. */
  gtid: string;
  /** Accounts copied by SHOW CREATE USER (a clone brings them all itself). */
  accounts: string[];
  dumpBytes?: number;
}

const IDENT = /^[A-Za-z0-9_$]{1,64}$/;

/** A root client for a new process: the engine's own client over its socket, on its host. */
export function rootClientFor(host: Host, spec: MysqldSpec): RootClient {
  return new RootClient(host, engineBinaries(spec.engine).client, mysqldPaths(spec).socket);
}

/**
 * Copies a shard's data from one of its replicas into a new, empty mysqld with the GTID position
 * the copy is consistent with. MySQL to MySQL of one version, with the clone plugin on both and
 * BACKUP_ADMIN for the account on the donor: CLONE (a physical copy over the MySQL protocol, no
 * shell on the source host; it brings the accounts). Otherwise, or when CLONE INSTANCE itself
 * fails: the accounts by SHOW CREATE USER, then a logical dump. The result says which ran and why.
 */
export async function seedFromReplica(o: SeedOptions): Promise<SeedResult> {
  const timeoutMs = o.timeoutMs ?? 3_600_000;
  const root = rootClientFor(o.target.host, o.target.spec);
  const donor = await o.connect({ host: o.source.host, port: o.source.port, user: o.account.user, password: o.account.password }, { connectTimeoutMs: 2_000, queryTimeoutMs: 30_000 });
  try {
    const databases = (await donor.session.query('SHOW DATABASES')).map((r) => String(Object.values(r)[0] ?? '')).filter((d) => d !== '' && !SYSTEM_DATABASES.has(d));
    for (const d of databases) if (!IDENT.test(d)) throw new RemoteError('SEED_UNSAFE_NAME', `database name ${JSON.stringify(d)} on ${o.source.host} is not a plain identifier; refusing to seed`);
    if (databases.length === 0) throw new RemoteError('SEED_NOTHING', `${o.source.host}:${o.source.port} has no user database to copy`);
    let decision = chooseSeedMethod(await methodFacts(donor, root, o));
    if (decision.method === 'clone') {
      try {
        const cloned = await seedByClone({ manager: o.target.manager, spec: o.target.spec, root }, { host: o.source.host, port: o.source.port, user: o.account.user, password: o.account.password ?? '' }, timeoutMs);
        return { method: 'clone', why: decision.why, databases: cloned.databases, gtid: cloned.gtid, accounts: [] };
      } catch (e) {
        if (!(e instanceof CloneFailedError) || o.method === 'clone') throw e;
        decision = { method: 'dump', why: `${e.message}; seeded by dump instead` };
        // a clone that failed part way may have left the recipient down or holding some of the donor's data
        if ((await o.target.manager.pid(o.target.spec)) === undefined) await o.target.manager.start(o.target.spec, { readyTimeoutMs: 120_000 });
        await clearPartialCopy(root);
      }
    }
    const d = await root.dialect();
    // before anything changes on the copy: the dump's flush must not meet a long query there
    if (dialectOf(donor).dumpFlushesTables) await checkSourceQuiet(donor);
    await root.run(d.letAdminsWrite());
    const accounts = await copyAccounts(donor, root);
    const dumped = await seedByDump(o.target.host, o.target.spec.engine, root, { source: o.source, account: o.account, databases, workDir: o.workDir, timeoutMs, ...(o.dumpLockWaitS !== undefined ? { lockWaitS: o.dumpLockWaitS } : {}) });
    await root.run(d.setReadOnly(true));
    return { method: 'dump', why: decision.why, databases, gtid: dumped.gtid, accounts, dumpBytes: dumped.dumpBytes };
  } finally {
    await donor.close().catch(() => undefined);
  }
}

/**
 * Makes a copy that a seed of dbfleet left part way fresh again: no replication settings, no user
 * database, no binary log or GTID history (all unlogged); read-only for applications throughout.
 * Only for a copy whose seed marker says a seed started there (phase-seed checks it).
 */
export async function clearPartialCopy(root: RootClient): Promise<string[]> {
  const d = await root.dialect();
  const existing = await root.userDatabases();
  await root.run([...d.letAdminsWrite(), ...d.stopReplica(), ...d.resetReplicaAll()]);
  await root.exec(`SET SESSION sql_log_bin = 0;\n${existing.map((db) => `DROP DATABASE \`${db.replace(/`/g, '``')}\`;`).join('\n')}\n`);
  await root.run([...d.resetBinaryLogsAndGtids(), ...d.setReadOnly(true)]);
  return existing;
}

/** What both sides say about CLONE (the plugin, the version, the account's BACKUP_ADMIN). */
async function methodFacts(donor: MysqlAdmin, root: RootClient, o: SeedOptions): Promise<SeedMethodFacts> {
  const asked = o.method ?? 'auto';
  const dd = dialectOf(donor);
  const rd = await root.dialect();
  const side = (host: string, v: typeof donor.version, supported: boolean, plugin: string | undefined): CloneSide => ({
    host,
    engine: describeVersion(v),
    version: `${v.major}.${v.minor}.${v.patch}`,
    cloneSupported: supported,
    clonePlugin: plugin,
  });
  const pluginQuery = "SELECT plugin_status AS s FROM information_schema.plugins WHERE plugin_name = 'clone'";
  const [donorPlugin, recipientPlugin] = asked === 'dump' || !dd.cloneSupported || !rd.cloneSupported ? [undefined, undefined] : [(await donor.session.query(pluginQuery))[0]?.['s'], (await root.query(pluginQuery))[0]?.['s']];
  const me = String((await donor.session.query('SELECT CURRENT_USER() AS u'))[0]?.['u'] ?? o.account.user);
  const grantee = `'${me.replace(/@/, "'@'")}'`;
  const backupAdmin = dd.cloneSupported ? Number((await donor.session.query("SELECT COUNT(*) AS n FROM information_schema.user_privileges WHERE grantee = ? AND privilege_type = 'BACKUP_ADMIN'", [grantee]))[0]?.['n']) > 0 : false;
  const others = await donor.session.query(
    "SELECT CONCAT(table_schema, '.', table_name, ' (', COALESCE(engine, '?'), ')') AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') AND COALESCE(engine, '') <> 'InnoDB' ORDER BY 1",
  );
  return {
    asked,
    donor: {
      ...side(o.source.host, donor.version, dd.cloneSupported, donorPlugin === undefined || donorPlugin === null ? undefined : String(donorPlugin)),
      backupAdmin,
      account: me,
      nonInnodbTables: others.map((r) => String(r['t'])),
    },
    recipient: side(`${o.target.spec.name} on ${o.target.host.name}`, rd.version, rd.cloneSupported, recipientPlugin === undefined || recipientPlugin === null ? undefined : String(recipientPlugin)),
  };
}
