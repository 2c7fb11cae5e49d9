import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RemoteError } from '../../core/errors.js';
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
}

/**
 * The dump tool's command line, per engine (pure). MariaDB: `mariadb-dump --master-data=2 --gtid`
 * writes the dump's GTID position as a comment, set on the copy by catch-up. MySQL: `mysqldump
 * --set-gtid-purged=ON` writes SET @@GLOBAL.GTID_PURGED into the dump (the copy's gtid_executed
 * after the load is the position) and takes a global read lock for a moment to read it consistently;
 * --no-tablespaces spares the PROCESS privilege. Both read in one consistent snapshot
 * (--single-transaction) with routines, triggers and events. The password is only in the 0600
 * defaults file, which must be the first argument (MySQL's client also reads /etc/mysql otherwise,
 * which on a MariaDB machine holds options it rejects).
 */
export function dumpCommand(engine: MysqldEngine | undefined, defaultsFile: string, o: Pick<DumpOptions, 'source' | 'databases'>, resultFile: string): { command: string; args: string[] } {
  const conn = ['-h', o.source.host, '-P', String(o.source.port)];
  const common = ['--single-transaction', '--routines', '--triggers', '--events', `--result-file=${resultFile}`, '--databases', ...o.databases];
  if (engine?.kind === 'mysql') {
    return { command: engineBinaries(engine).dump, args: [`--defaults-file=${defaultsFile}`, ...conn, '--get-server-public-key', '--set-gtid-purged=ON', '--no-tablespaces', ...common] };
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
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  await host.writeFile(defaults, `[client]\nuser="${escape(o.account.user)}"\n${o.account.password !== undefined ? `password="${escape(o.account.password)}"\n` : ''}`, 0o600);
  try {
    const { command, args } = dumpCommand(engine, defaults, o, dump);
    await host.check(command, args, { timeoutMs: o.timeoutMs });
    let gtid: string | undefined;
    if (engine?.kind !== 'mysql') {
      // MariaDB writes the GTID position after the data ("deferred"), so search the whole file there.
      const found = await host.run('grep', ['-m', '1', '-E', "SET GLOBAL gtid_slave_pos *= *'", dump], { timeoutMs: 600_000 });
      gtid = /SET GLOBAL gtid_slave_pos\s*=\s*'([^']*)'/.exec(found.stdout)?.[1];
      if (gtid === undefined) throw new RemoteError('SEED_NO_POSITION', `the dump from ${o.source.host} carries no GTID position (is log_bin on there?)`);
    }
    const size = await host.run('stat', ['-c', '%s', dump], { timeoutMs: 10_000 });
    // Not binlogged on the new server: its own GTIDs would look errant to the switchover's check.
    const load = loadCommand(engine, root.socket, dump);
    await host.check(load.command, load.args, { timeoutMs: o.timeoutMs });
    if (gtid === undefined) {
      const d = await root.dialect();
      gtid = await root.gtid(d.appliedGtidQuery());
      if (gtid === '') throw new RemoteError('SEED_NO_POSITION', `the dump from ${o.source.host} set no GTID_PURGED on the copy (is gtid_mode ON there?)`);
    }
    return { gtid, dumpBytes: Number(size.stdout.trim()) || 0 };
  } finally {
    await host.remove(defaults).catch(() => undefined);
    await host.remove(dump).catch(() => undefined);
  }
}
