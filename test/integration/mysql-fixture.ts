/**
 * A tiny MariaDB fixture for the src/mysql integration tests, independent of src/shard's process
 * manager on purpose (that one is tested by its own suite). Each server gets its own 127.77.x.y
 * address (port 3306, as in production), socket, datadir and log, is started detached, is ready
 * when a real query answers, and is stopped by PID.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2';
import type { Endpoint } from '../../src/mysql/admin.js';

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

function myCnf(dir: string, host: string, serverId: number): string {
  return [
    '[mysqld]',
    'user=root',
    `bind-address=${host}`,
    'port=3306',
    `socket=${join(dir, 'mysqld.sock')}`,
    `datadir=${join(dir, 'data')}`,
    `pid-file=${join(dir, 'mysqld.pid')}`,
    `log-error=${join(dir, 'error.log')}`,
    `server_id=${serverId}`,
    `log_bin=${join(dir, 'data', 'bin')}`,
    `relay_log=${join(dir, 'data', 'relay')}`,
    'binlog_format=ROW',
    'gtid_strict_mode=1',
    'innodb_buffer_pool_size=16M',
    'innodb_log_file_size=16M',
    'skip-name-resolve',
    '',
  ].join('\n');
}

/** One query on a fresh root connection over the socket, with its own bounds. */
async function rootQuery(socket: string, sql: string, timeoutMs = 5_000): Promise<unknown> {
  const conn = mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 1_000 });
  conn.on('error', () => undefined);
  try {
    return await new Promise((resolve, reject) => {
      conn.query({ sql, timeout: timeoutMs }, (err, result) => (err ? reject(err) : resolve(result)));
    });
  } finally {
    conn.destroy();
  }
}

export class MariadbServer {
  private constructor(
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
    if (pid === undefined || pid <= 0) throw new Error(`${this.name}: mariadbd has no PID (spawn failed)`);
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

  pause(): void {
    process.kill(this.pid, 'SIGSTOP');
  }
  resume(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /** SIGTERM (after SIGCONT, in case a test left it stopped), then SIGKILL after a bound. */
  async stop(boundMs = 10_000): Promise<void> {
    if (this.child.pid === undefined || this.hasExited()) return;
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(this.pid, sig);
      } catch {
        // Already gone.
      }
    };
    signal('SIGCONT');
    signal('SIGTERM');
    if (await this.waitExit(boundMs)) return;
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
  static async start(root: string, template: string, name: string, serverId: number): Promise<MariadbServer> {
    let lastError: unknown;
    // A random address can (rarely) be taken by someone else's server: retry on another.
    for (let attempt = 0; attempt < 3; attempt++) {
      const dir = join(root, `${name}-${attempt}`);
      await mkdir(dir, { recursive: true });
      await cp(template, join(dir, 'data'), { recursive: true });
      const host = randomLoopback();
      const cnf = join(dir, 'my.cnf');
      await writeFile(cnf, myCnf(dir, host, serverId));
      const log = openSync(join(dir, 'stdout.log'), 'a');
      const child = spawn(MARIADBD, [`--defaults-file=${cnf}`], { detached: true, stdio: ['ignore', log, log] });
      closeSync(log);
      child.unref();
      const server = new MariadbServer(name, dir, host, serverId, child);
      child.once('exit', () => {
        server.exited = true;
      });
      try {
        await server.waitReady(20_000);
        await server.root(`CREATE USER '${ADMIN_USER}'@'%' IDENTIFIED BY '${ADMIN_PASSWORD}'`);
        await server.root(`GRANT ALL PRIVILEGES ON *.* TO '${ADMIN_USER}'@'%' WITH GRANT OPTION`);
        return server;
      } catch (e) {
        lastError = e;
        await server.stop(2_000);
      }
    }
    throw lastError;
  }

  private async waitReady(boundMs: number): Promise<void> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      if (this.exited) throw new Error(`${this.name}: mariadbd exited during start-up:\n${this.logTail()}`);
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

/** A temp dir with one initialised datadir that servers copy (initialising each costs ~1 s). */
export class MariadbFixture {
  readonly servers: MariadbServer[] = [];
  private constructor(readonly root: string) {}

  static async create(): Promise<MariadbFixture> {
    const root = await mkdtemp(join(tmpdir(), 'dbfleet-mysql-it-'));
    const fixture = new MariadbFixture(root);
    const tdir = join(root, 'template');
    await mkdir(tdir);
    const cnf = join(tdir, 'my.cnf');
    await writeFile(cnf, myCnf(tdir, '127.0.0.1', 1));
    await execFileP('mariadb-install-db', [`--defaults-file=${cnf}`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
      timeout: 60_000,
    });
    return fixture;
  }

  async start(name: string, serverId: number): Promise<MariadbServer> {
    const server = await MariadbServer.start(this.root, join(this.root, 'template', 'data'), name, serverId);
    this.servers.push(server);
    return server;
  }

  async destroy(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    await rm(this.root, { recursive: true, force: true });
  }
}
