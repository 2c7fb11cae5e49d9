import { join } from 'node:path';

/**
 * Which server a mysqld process runs, as plain data (it is journaled and kept in sandbox state).
 * MariaDB from the system's packages; Oracle MySQL from the system (`mysqld` on PATH, as on a
 * production host) or from a private prefix that scripts/ensure-mysql filled, whose bin/ holds
 * wrappers that run each program through the prefix's own loader.
 */
export type MysqldEngine = { kind: 'mariadb' } | { kind: 'mysql'; prefix?: string | undefined };

export type EngineKind = MysqldEngine['kind'];

export const ENGINE_KINDS: readonly EngineKind[] = ['mariadb', 'mysql'];

export const MARIADB_ENGINE: MysqldEngine = Object.freeze({ kind: 'mariadb' });

export interface MysqldBinaries {
  /** The server: mariadbd, or mysqld. */
  server: string;
  /** MariaDB's datadir initialiser; MySQL initialises with `mysqld --initialize-insecure`. */
  installDb?: string | undefined;
  /** The command-line client used for readiness, bootstrap and root SQL over the local socket. */
  client: string;
  /** The logical dump tool (seeding a new copy from a replica). */
  dump: string;
}

export const MARIADB_BINARIES: MysqldBinaries = Object.freeze({
  server: 'mariadbd',
  installDb: 'mariadb-install-db',
  client: 'mariadb',
  dump: 'mariadb-dump',
});

export function engineBinaries(engine: MysqldEngine = MARIADB_ENGINE): MysqldBinaries {
  if (engine.kind === 'mariadb') return MARIADB_BINARIES;
  const bin = (name: string): string => (engine.prefix ? join(engine.prefix, 'bin', name) : name);
  return { server: bin('mysqld'), client: bin('mysql'), dump: bin('mysqldump') };
}

/** What to run when a binary of this engine is missing. */
export function installHint(engine: MysqldEngine = MARIADB_ENGINE): string {
  if (engine.kind === 'mariadb') return 'run scripts/ensure-deps (or: apt-get install -y mariadb-server)';
  return engine.prefix
    ? `run scripts/ensure-mysql ${engine.prefix} (installs MySQL 9.7 from Debian's unstable suite into that prefix)`
    : 'install MySQL (mysqld, mysql, mysqldump on PATH), or give the prefix scripts/ensure-mysql filled';
}

/** A readable name, e.g. "MySQL (prefix /root/.cache/dbfleet/mysql)". */
export function describeEngine(engine: MysqldEngine = MARIADB_ENGINE): string {
  if (engine.kind === 'mariadb') return 'MariaDB';
  return engine.prefix ? `MySQL (prefix ${engine.prefix})` : 'MySQL';
}

/**
 * Where scripts/ensure-mysql installs MySQL: $DBFLEET_MYSQL_PREFIX, else
 * ${XDG_CACHE_HOME:-$HOME/.cache}/dbfleet/mysql. Takes the environment as an argument (only the
 * CLI and the test and benchmark set-up read process.env).
 */
export function defaultMysqlPrefix(env: Readonly<Record<string, string | undefined>>): string {
  if (env['DBFLEET_MYSQL_PREFIX']) return env['DBFLEET_MYSQL_PREFIX'];
  const cache = env['XDG_CACHE_HOME'] || join(env['HOME'] || '/root', '.cache');
  return join(cache, 'dbfleet', 'mysql');
}

/** The engine a `--engine` option names: MySQL from the default prefix, or MariaDB. */
export function engineFromOption(kind: EngineKind, env: Readonly<Record<string, string | undefined>>): MysqldEngine {
  return kind === 'mysql' ? { kind: 'mysql', prefix: defaultMysqlPrefix(env) } : MARIADB_ENGINE;
}
