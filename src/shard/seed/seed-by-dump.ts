import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RemoteError, UsageError } from '../../core/errors.js';
import type { Host } from '../../host/host.js';
import { engineBinaries, type MysqldEngine } from '../mysqld/mysqld-engine.js';
import type { RootClient } from './root-client.js';

export interface DumpOptions {
  /** The replica the data is copied from (never the master: the dump's snapshot costs it I/O). */
  source: { host: string; port: number };
  /** An account on the source that can read everything and see the GTID position. */
  account: { user: string; password: string | undefined };
  databases: readonly string[];
  /** A directory on the target host for the dump and a short-lived 0600 defaults file. */
  workDir: string;
  timeoutMs: number;
  /** MySQL: how long the dump may wait on the source for its global read lock (default DUMP_LOCK_WAIT_S). */
  lockWaitS?: number;
}

/** How long MySQL's mysqldump may wait on the source for its FLUSH TABLES / FLUSH TABLES WITH READ LOCK (lock_wait_timeout, on the server). */
export const DUMP_LOCK_WAIT_S = 2;

function wholeSeconds(s: number): number {
  if (!Number.isInteger(s) || s < 1) throw new UsageError(`a dump's lock wait of ${s} s is invalid: expected a whole number of seconds >= 1`);
  return s;
}

/**
 * The 0600 defaults file that carries the dump account (pure): values double-quoted with the
 * option-file escapes both engines' clients read (\\ \" \n \r \t), so a password with a quote,
 * a backslash, a '#' or a line break arrives as it is and cannot add an option of its own.
 */
export function clientDefaultsFile(account: DumpOptions['account']): string {
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `[client]\nuser="${escape(account.user)}"\n${account.password !== undefined ? `password="${escape(account.password)}"\n` : ''}`;
}

/**
 * The dump tool's command line, per engine (pure). MariaDB: `mariadb-dump --master-data=2 --gtid`
 * writes the dump's GTID position as a comment, set on the copy by catch-up. MySQL: `mysqldump
 * --set-gtid-purged=ON` writes SET @@GLOBAL.GTID_PURGED into the dump (the copy's gtid_executed
 * after the load is the position) and takes a global read lock for a moment to read it consistently
 * (FLUSH TABLES, then FLUSH TABLES WITH READ LOCK: behind a long query on the source both wait,
 * and new queries on its tables wait behind them), so its session's lock_wait_timeout bounds that
 * wait on the server to DUMP_LOCK_WAIT_S (measured on 9.7.4 with a bound of 2 s: refused after 2 s,
 * error 1205; the seed fails, retryable) and seedFromReplica starts no dump beside a long query
 * (source-quiet.ts: readers of its tables would wait until it ends); MariaDB's dump takes no lock
 * (its consistent snapshot carries the binlog position, read with BINLOG_GTID_POS);
 * --no-tablespaces spares the PROCESS privilege. Both read in one consistent snapshot
 * (--single-transaction) with routines, triggers and events. The password is only in the 0600
 * defaults file, which must be the first argument (MySQL's client also reads /etc/mysql otherwise,
 * which on a MariaDB machine holds options it rejects).
 */
export function dumpCommand(engine: MysqldEngine | undefined, defaultsFile: string, o: Pick<DumpOptions, 'source' | 'databases' | 'lockWaitS'>, resultFile: string): { command: string; args: string[] } {
  const conn = ['-h', o.source.host, '-P', String(o.source.port)];
  const common = ['--single-transaction', '--routines', '--triggers', '--events', `--result-file=${resultFile}`, '--databases', ...o.databases];
  if (engine?.kind === 'mysql') {
    return { command: engineBinaries(engine).dump, args: [`--defaults-file=${defaultsFile}`, ...conn, '--get-server-public-key', `--init-command=SET SESSION lock_wait_timeout = ${wholeSeconds(o.lockWaitS ?? DUMP_LOCK_WAIT_S)}`, '--set-gtid-purged=ON', '--no-tablespaces', ...common] };
  }
  return { command: engineBinaries(engine).dump, args: [`--defaults-extra-file=${defaultsFile}`, ...conn, '--master-data=2', '--gtid', ...common] };
}

/**
 * The load of a dump file into the copy as root over its socket, unlogged (pure): `source FILE`,
 * a client command, which MySQL 9's client runs only with --commands (off by default there;
 * MariaDB's client has no such option).
 */
export function loadCommand(engine: MysqldEngine | undefined, socket: string, file: string): { command: string; args: string[] } {
  const client = engineBinaries(engine).client;
  const args = ['--no-defaults', '-S', socket, '-uroot', ...(engine?.kind === 'mysql' ? ['--commands'] : []), '--init-command=SET SESSION sql_log_bin = 0', '-e', `source ${file}`];
  return { command: client, args };
}

/**
 * Copies the databases from a current replica into the new, empty mysqld by logical dump: dumped
 * on the target host through Host (local or SSH) to a file, then loaded over the target's socket
 * as root, unlogged (its own GTIDs would look errant to the switchover's check). Returns the GTID
 * position the copy is consistent with: MariaDB's from the dump's comment, MySQL's the copy's
 * gtid_executed after the load (the dump's GTID_PURGED).
 */
export async function seedByDump(host: Host, engine: MysqldEngine | undefined, root: RootClient, o: DumpOptions): Promise<{ gtid: string; dumpBytes: number }> {
  const tag = randomBytes(4).toString('hex');
  const defaults = join(o.workDir, `.seed-${tag}.cnf`);
  const dump = join(o.workDir, `seed-${tag}.sql`);
  await host.mkdir(o.workDir, 0o700);
  await host.writeFile(defaults, clientDefaultsFile(o.account), 0o600);
  try {
    const { command, args } = dumpCommand(engine, defaults, o, dump);
    await host.check(command, args, { timeoutMs: o.timeoutMs });
    const d = await root.dialect();
    const written = d.dumpGtidPosition();
    let gtid: string | undefined;
    if (written) {
      // MariaDB writes the GTID position after the data ("deferred"), so the whole file is searched
      const found = await host.run('grep', ['-m', '1', '-E', written.grep, dump], { timeoutMs: 600_000 });
      gtid = written.parse(found.stdout);
      if (gtid === undefined) throw new RemoteError('SEED_NO_POSITION', `the dump from ${o.source.host} carries no GTID position (is log_bin on there?)`);
    }
    const size = await host.run('stat', ['-c', '%s', dump], { timeoutMs: 10_000 });
    // Not binlogged on the new server: its own GTIDs would look errant to the switchover's check.
    const load = loadCommand(engine, root.socket, dump);
    await host.check(load.command, load.args, { timeoutMs: o.timeoutMs });
    if (gtid === undefined) {
      gtid = await root.gtid(d.appliedGtidQuery());
      if (gtid === '') throw new RemoteError('SEED_NO_POSITION', `the dump from ${o.source.host} set no GTID_PURGED on the copy (is gtid_mode ON there?)`);
    }
    return { gtid, dumpBytes: Number(size.stdout.trim()) || 0 };
  } finally {
    await host.remove(defaults).catch(() => undefined);
    await host.remove(dump).catch(() => undefined);
  }
}
