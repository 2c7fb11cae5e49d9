/**
 * A tiny fixture of real servers for the src/mysql integration tests, on either engine, and
 * independent of src/shard's process manager on purpose (that one is tested by its own suite).
 * Each server gets its own 127.77.x.y address (port 3306, as in production), socket, datadir and
 * log, is started detached, is ready when a real query answers, and is stopped by PID.
 *
 * - MariaDB 10.11 (apt): one `mariadb-install-db` template; the admin user is made after start.
 * - Oracle MySQL 9.7 (the scripts/ensure-mysql prefix): one `mysqld --initialize-insecure`
 *   template whose init file (0600, removed at once) makes the admin user with
 *   caching_sha2_password, unlogged, so every copy starts with an empty gtid_executed; each copy
 *   drops auto.cnf so it gets its own server_uuid. gtid_mode ON, enforce_gtid_consistency ON, as
 *   the sandbox and production run it. root@localhost has no password over the socket only.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2';
import type { Endpoint } from '../../src/mysql/admin.js';
import { engineBinaries, type EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { testEngine } from '../support/engines.js';
import { stopProcess } from '../support/process-stop.js';

const execFileP = promisify(execFile);

export const MARIADBD = '/usr/sbin/mariadbd';
export const ADMIN_USER = 'dbfleet';
export const ADMIN_PASSWORD = 'dbf-Adm1n-pw!';

export function mariadbInstalled(): boolean {
  return existsSync(MARIADBD);
}

function randomLoopback(): string {
  const octet = (): number => 1 + Math.floor(Math.random() * 254);
  return `127.77.${octet()}.${octet()}`;
}

/** Settings both engines share; then each engine's own. */
function myCnf(engine: EngineKind, dir: string, host: string, serverId: number, extra: readonly string[] = []): string {
  const common = [
    '[mysqld]',
    'user=root',
    `bind-address=${host}`,
    'port=3306',
    `socket=${join(dir, 'mysqld.sock')}`,
    `datadir=${join(dir, 'data')}`,
    `pid-file=${join(dir, 'mysqld.pid')}`,
    `log-error=${join(dir, 'error.log')}`,
    `server_id=${serverId}`,
    `report_host=${host}`,
    `log_bin=${join(dir, 'data', 'bin')}`,
    `relay_log=${join(dir, 'data', 'relay')}`,
    'innodb_buffer_pool_size=16M',
    'skip-name-resolve',
  ];
  const own =
    engine === 'mysql'
      ? [
          'gtid_mode=ON',
          'enforce_gtid_consistency=ON',
          'log_replica_updates=ON',
          'skip_replica_start=ON',
          'innodb_redo_log_capacity=16M',
          'performance_schema=OFF',
          'mysqlx=OFF',
          `secure_file_priv=${dir}`,
        ]
      : ['binlog_format=ROW', 'gtid_strict_mode=1', 'innodb_log_file_size=16M'];
  return [...common, ...own, ...extra, ''].join('\n');
}

/** One query on a fresh root connection over the socket, with its own bounds. */
async function rootQuery(socket: string, sql: string, timeoutMs = 5_000): Promise<unknown> {
  const conn = mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 1_000, dateStrings: true, supportBigNumbers: true });
  conn.on('error', () => undefined);
  try {
    return await new Promise((resolve, reject) => {
      conn.query({ sql, timeout: timeoutMs }, (err, result) => (err ? reject(err) : resolve(result)));
    });
  } finally {
    conn.destroy();
  }
}

/** Several statements on one root connection over the socket (session settings carry over). */
async function rootQueries(socket: string, sqls: readonly string[], timeoutMs = 5_000): Promise<unknown[]> {
  const conn = mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 1_000, dateStrings: true, supportBigNumbers: true });
  conn.on('error', () => undefined);
  try {
    const out: unknown[] = [];
    for (const sql of sqls) {
      out.push(await new Promise((resolve, reject) => conn.query({ sql, timeout: timeoutMs }, (err, result) => (err ? reject(err) : resolve(result)))));
    }
    return out;
  } finally {
    conn.destroy();
  }
}

export class TestServer {
  private constructor(
    readonly engine: EngineKind,
    readonly name: string,
    readonly dir: string,
    readonly host: string,
    readonly serverId: number,
    private readonly child: ChildProcess,
  ) {}

  readonly port = 3306;
  private exited = false;

  /** The server's PID; throws rather than ever returning a value that kill() would widen (0, -1). */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined || pid <= 0) throw new Error(`${this.name}: the server has no PID (spawn failed)`);
    return pid;
  }
  get socket(): string {
    return join(this.dir, 'mysqld.sock');
  }

  /** The dbfleet admin user's endpoint, over TCP or the socket. */
  endpoint(overrides: Partial<Endpoint> = {}): Endpoint {
    return { host: this.host, port: this.port, user: ADMIN_USER, password: ADMIN_PASSWORD, ...overrides };
  }

  /** Runs SQL as root over the socket (setup and checks that must not go through the code under test). */
  async root(sql: string): Promise<Record<string, unknown>[]> {
    const result = await rootQuery(this.socket, sql);
    return Array.isArray(result) ? (result as Record<string, unknown>[]) : [];
  }

  /** Runs statements on one root session, in order; the last one's rows. */
  async rootSession(sqls: readonly string[]): Promise<Record<string, unknown>[]> {
    const results = await rootQueries(this.socket, sqls);
    const last = results[results.length - 1];
    return Array.isArray(last) ? (last as Record<string, unknown>[]) : [];
  }

  /** SIGSTOP, returning once every thread of the server has stopped. */
  pause(): Promise<void> {
    return stopProcess(this.pid);
  }
  resume(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /**
   * SIGTERM (after SIGCONT, in case a test left it stopped), then SIGKILL after a bound; `kill`
   * skips the clean stop (a test server's data is thrown away: MySQL's clean stop takes seconds).
   */
  async stop(boundMs = 10_000, kill = false): Promise<void> {
    if (this.child.pid === undefined || this.hasExited()) return;
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(this.pid, sig);
      } catch {
        // Already gone.
      }
    };
    signal('SIGCONT');
    if (!kill) {
      signal('SIGTERM');
      if (await this.waitExit(boundMs)) return;
    }
    signal('SIGKILL');
    await this.waitExit(5_000);
  }

  private hasExited(): boolean {
    return this.exited || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private async waitExit(boundMs: number): Promise<boolean> {
    const deadline = Date.now() + boundMs;
    while (!this.hasExited()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }

  /** Starts a server whose datadir is a copy of the template. */
  static async start(engine: EngineKind, root: string, template: string, name: string, serverId: number, extra: readonly string[] = []): Promise<TestServer> {
    let lastError: unknown;
    const server = engine === 'mysql' ? engineBinaries(testEngine('mysql')).server : MARIADBD;
    // A random address can (rarely) be taken by someone else's server: retry on another.
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = join(root, `${name}-${attempt}`);
      await mkdir(dir, { recursive: true });
      await cp(template, join(dir, 'data'), { recursive: true });
      // MySQL keeps its server_uuid there: each copy makes its own at start
      if (engine === 'mysql') await rm(join(dir, 'data', 'auto.cnf'), { force: true });
      const host = randomLoopback();
      const cnf = join(dir, 'my.cnf');
      await writeFile(cnf, myCnf(engine, dir, host, serverId, extra));
      const log = openSync(join(dir, 'stdout.log'), 'a');
      const child = spawn(server, [`--defaults-file=${cnf}`], { detached: true, stdio: ['ignore', log, log] });
      closeSync(log);
      child.unref();
      const s = new TestServer(engine, name, dir, host, serverId, child);
      child.once('exit', () => {
        s.exited = true;
      });
      try {
        await s.waitReady(60_000);
        if (engine === 'mariadb') {
          await s.root(`CREATE USER '${ADMIN_USER}'@'%' IDENTIFIED BY '${ADMIN_PASSWORD}'`);
          await s.root(`GRANT ALL PRIVILEGES ON *.* TO '${ADMIN_USER}'@'%' WITH GRANT OPTION`);
        }
        return s;
      } catch (e) {
        lastError = e;
        await s.stop(2_000, true);
      }
    }
    throw lastError;
  }

  private async waitReady(boundMs: number): Promise<void> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.name}: the server exited during start-up:\n${this.logTail()}`);
      try {
        await rootQuery(this.socket, 'SELECT 1', 1_000);
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`${this.name}: not ready within ${boundMs} ms (${String(e)}):\n${this.logTail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  logTail(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '(no error log)';
    }
  }
}

/** A temp dir with one initialised datadir that servers copy (initialising each costs 1-8 s). */
export class ServerFixture {
  readonly servers: TestServer[] = [];
  private constructor(
    readonly engine: EngineKind,
    readonly root: string,
  ) {}

  static async create(engine: EngineKind): Promise<ServerFixture> {
    const root = await mkdtemp(join(tmpdir(), `dbfleet-${engine}-it-`));
    const fixture = new ServerFixture(engine, root);
    const tdir = join(root, 'template');
    await mkdir(tdir);
    const cnf = join(tdir, 'my.cnf');
    await writeFile(cnf, myCnf(engine, tdir, '127.0.0.1', 1));
    if (engine === 'mysql') {
      const initFile = join(tdir, 'init.sql');
      await writeFile(
        initFile,
        [
          'SET SESSION sql_log_bin = 0;',
          `CREATE USER '${ADMIN_USER}'@'%' IDENTIFIED WITH caching_sha2_password BY '${ADMIN_PASSWORD}';`,
          `GRANT ALL PRIVILEGES ON *.* TO '${ADMIN_USER}'@'%' WITH GRANT OPTION;`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      try {
        await execFileP(engineBinaries(testEngine('mysql')).server, [`--defaults-file=${cnf}`, '--initialize-insecure', `--init-file=${initFile}`], { timeout: 120_000 });
      } finally {
        await rm(initFile, { force: true });
      }
    } else {
      await execFileP('mariadb-install-db', [`--defaults-file=${cnf}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { timeout: 60_000 });
    }
    return fixture;
  }

  /** `extra` lines are appended to the server's [mysqld] section (e.g. default-time-zone). */
  async start(name: string, serverId: number, extra: readonly string[] = []): Promise<TestServer> {
    const server = await TestServer.start(this.engine, this.root, join(this.root, 'template', 'data'), name, serverId, extra);
    this.servers.push(server);
    return server;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop(10_000, true)));
    await rm(this.root, { recursive: true, force: true });
  }
}
