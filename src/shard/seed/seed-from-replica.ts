import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RemoteError } from '../../core/errors.js';
import type { Host } from '../../host/host.js';

export interface SeedOptions {
  /** The replica the data is copied from (never the master: the dump's snapshot costs it I/O). */
  source: { host: string; port: number };
  /** The new mysqld, reached over its unix socket as root (socket authentication). */
  targetSocket: string;
  /** An account on the source that can read everything and see the binlog position. */
  account: { user: string; password: string | undefined };
  /** A directory on the target host for the dump and a short-lived 0600 defaults file. */
  workDir: string;
  timeoutMs?: number;
}

export interface SeedResult {
  databases: string[];
  /** The GTID position the dump is consistent with: where the new replica starts. */
  gtid: string;
  dumpBytes: number;
}

const SYSTEM = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
const IDENT = /^[A-Za-z0-9_$]{1,64}$/;

/**
 * Copies a shard's data from one of its replicas into a new, empty mysqld on the target host, with
 * the binlog position the copy is consistent with: `mariadb-dump --single-transaction
 * --master-data=2 --gtid` to a file, then loaded over the target's socket. Runs on the target host
 * through Host (local or SSH); the source's password is in a 0600 defaults file that is removed
 * afterwards, never on a command line. Users and grants come from the target's provisioning.
 */
export async function seedFromReplica(host: Host, o: SeedOptions): Promise<SeedResult> {
  const timeoutMs = o.timeoutMs ?? 3_600_000;
  const tag = randomBytes(4).toString('hex');
  const defaults = join(o.workDir, `.seed-${tag}.cnf`);
  const dump = join(o.workDir, `seed-${tag}.sql`);
  await host.mkdir(o.workDir, 0o700);
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  await host.writeFile(defaults, `[client]\nuser="${escape(o.account.user)}"\n${o.account.password !== undefined ? `password="${escape(o.account.password)}"\n` : ''}`, 0o600);
  try {
    const conn = [`--defaults-extra-file=${defaults}`, '-h', o.source.host, '-P', String(o.source.port)];
    const list = await host.check('mariadb', [...conn, '-N', '-B', '-e', 'SHOW DATABASES'], { timeoutMs: 30_000 });
    const databases = list.stdout.split('\n').map((d) => d.trim()).filter((d) => d !== '' && !SYSTEM.has(d));
    for (const d of databases) if (!IDENT.test(d)) throw new RemoteError('SEED_UNSAFE_NAME', `database name ${JSON.stringify(d)} on ${o.source.host} is not a plain identifier; refusing to seed`);
    if (databases.length === 0) throw new RemoteError('SEED_NOTHING', `${o.source.host}:${o.source.port} has no user database to copy`);
    await host.check('mariadb-dump', [...conn, '--single-transaction', '--master-data=2', '--gtid', '--routines', '--triggers', '--events', `--result-file=${dump}`, '--databases', ...databases], { timeoutMs });
    // MariaDB writes the GTID position after the data ("deferred"), so search the whole file there.
    const found = await host.run('grep', ['-m', '1', '-E', "SET GLOBAL gtid_slave_pos *= *'", dump], { timeoutMs: 600_000 });
    const m = /SET GLOBAL gtid_slave_pos\s*=\s*'([^']*)'/.exec(found.stdout);
    if (!m) throw new RemoteError('SEED_NO_POSITION', `the dump from ${o.source.host} carries no GTID position (is log_bin on there?)`);
    const size = await host.run('stat', ['-c', '%s', dump], { timeoutMs: 10_000 });
    // Not binlogged on the new server: its own GTIDs would look errant to the switchover's check.
    await host.check('mariadb', ['--no-defaults', '-S', o.targetSocket, '-uroot', '--init-command=SET SESSION sql_log_bin = 0', '-e', `source ${dump}`], { timeoutMs });
    return { databases, gtid: m[1] as string, dumpBytes: Number(size.stdout.trim()) || 0 };
  } finally {
    await host.remove(defaults).catch(() => undefined);
    await host.remove(dump).catch(() => undefined);
  }
}
