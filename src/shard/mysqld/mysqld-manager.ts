import { dirname, join } from 'node:path';
import { systemClock, type Clock } from '../../core/clock.js';
import { MissingDependencyError, RemoteError, StateError, TimeoutError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Host } from '../../host/host.js';
import { hostOsUser, localRootSql } from './local-root.js';
import { renderMyCnf } from './my-cnf.js';
import { engineBinaries, installHint, MARIADB_ENGINE, type MysqldBinaries, type MysqldEngine } from './mysqld-engine.js';
import { mysqldPaths, validateSpec, type MysqldPaths, type MysqldSpec } from './mysqld-spec.js';

export { MARIADB_BINARIES, type MysqldBinaries } from './mysqld-engine.js';

export interface StartOptions {
  /** How long to wait for the server to answer a real query. */
  readyTimeoutMs?: number;
  /**
   * SQL the server runs itself at this start, before it accepts connections (--init-file), with
   * every privilege: given through a 0600 file in the process directory, removed once it is ready.
   */
  initSql?: string;
  /**
   * MySQL: root@localhost made again what a new copy's template gives it (localRootSql: auth_socket
   * for this host's OS user, every privilege), run before initSql in the same init file. For a
   * copy a CLONE filled, whose accounts are the donor's. Ignored on MariaDB, which is never cloned.
   */
  restoreLocalRoot?: boolean;
}

export interface StopOptions {
  /** Time allowed for a clean shutdown after SIGTERM before SIGKILL. */
  graceMs?: number;
}

const READY_POLL_MS = 40;

/** Arguments of the engine's client for root over a local socket, never reading /etc/mysql. */
export function rootClientArgs(socket: string): string[] {
  return ['--no-defaults', '-S', socket, '-uroot'];
}

/**
 * Manages mysqld processes on one host: config files, datadirs, start, readiness, stop. Used by
 * the sandbox on the local machine and by the consolidator over SSH, through the same Host.
 */
export class MysqldManager {
  constructor(
    private readonly host: Host,
    private readonly logger: Logger = silentLogger,
    /** Replaces the engine's binaries (tests name a missing one to check the error). */
    private readonly overrides: Partial<MysqldBinaries> = {},
    private readonly clock: Clock = systemClock,
  ) {}

  /** The programs of the spec's engine (MariaDB when it names none). */
  binaries(spec: Pick<MysqldSpec, 'engine'> = {}): MysqldBinaries {
    return { ...engineBinaries(spec.engine), ...this.overrides };
  }

  paths(spec: Pick<MysqldSpec, 'name' | 'baseDir' | 'configPath'>): MysqldPaths {
    return mysqldPaths(spec);
  }

  /** Writes `my-<name>.cnf` and the directories it names. */
  async writeConfig(spec: MysqldSpec): Promise<MysqldPaths> {
    validateSpec(spec);
    const p = mysqldPaths(spec);
    for (const d of [p.dir, p.tmpDir, dirname(p.binlogBase), dirname(p.configFile)]) await this.host.mkdir(d, 0o750);
    await this.host.writeFile(p.configFile, renderMyCnf(spec), 0o640);
    return p;
  }

  /**
   * Creates an empty datadir holding only the system tables, then runs `bootstrapSql` (users and
   * grants). Used once per sandbox or host as the template for every datadir. The SQL goes
   * through stdin (MariaDB) or a 0600 init file removed right after (MySQL), so no secret ever
   * appears in a process argument.
   */
  async createTemplate(spec: MysqldSpec, bootstrapSql: string): Promise<MysqldPaths> {
    // MySQL applies super_read_only during --initialize too, which would refuse the bootstrap SQL
    const p = await this.writeConfig(spec.engine?.kind === 'mysql' ? { ...spec, readOnly: false } : spec);
    if (await this.host.exists(join(p.dataDir, 'mysql'))) {
      throw new StateError('DATADIR_EXISTS', `datadir ${p.dataDir} already holds a database`, { next: 'remove it first or use a fresh directory' });
    }
    const b = this.binaries(spec);
    if ((spec.engine ?? MARIADB_ENGINE).kind === 'mysql') {
      await this.requireBinary(b.server, spec.engine);
      // --initialize-insecure makes root@localhost without a password; the init file turns it
      // into an auth_socket account of this host's OS user (localRootSql), as MariaDB's root is.
      // It runs unlogged, so every copy of the template starts with an empty gtid_executed.
      const initFile = join(p.dir, 'init.sql');
      const rootSql = localRootSql(await hostOsUser(this.host));
      await this.host.writeFile(initFile, `${rootSql}\nSET SESSION sql_log_bin = 0;\n${bootstrapSql}\n`, 0o600);
      try {
        await this.host.check(b.server, [`--defaults-file=${p.configFile}`, '--initialize-insecure', `--init-file=${initFile}`], { timeoutMs: 120_000 });
      } finally {
        await this.host.remove(initFile);
      }
      return p;
    }
    const installDb = b.installDb ?? 'mariadb-install-db';
    await this.requireBinary(installDb, spec.engine);
    await this.host.check(installDb, [`--defaults-file=${p.configFile}`, '--skip-test-db', '--auth-root-authentication-method=socket'], {
      timeoutMs: 60_000,
    });
    // FLUSH PRIVILEGES turns the grant tables on inside bootstrap mode, so CREATE USER works.
    await this.host.check(b.server, [`--defaults-file=${p.configFile}`, '--bootstrap'], {
      timeoutMs: 60_000,
      input: `FLUSH PRIVILEGES;\n${bootstrapSql}\n`,
    });
    return p;
  }

  /** Gives a process its datadir: a copy of a template (fast) made by createTemplate. */
  async initDatadirFromTemplate(spec: MysqldSpec, templateDataDir: string): Promise<MysqldPaths> {
    const p = await this.writeConfig(spec);
    if (await this.host.exists(join(p.dataDir, 'mysql'))) {
      throw new StateError('DATADIR_EXISTS', `datadir ${p.dataDir} already holds a database`, { next: 'remove it first or use a fresh directory' });
    }
    await this.host.check('cp', ['-a', '--', templateDataDir, p.dataDir], { timeoutMs: 120_000 });
    // MySQL keeps its server_uuid in auto.cnf: without it the copy makes its own at start, so
    // copies of one template never share a GTID source id.
    if (spec.engine?.kind === 'mysql') await this.host.remove(join(p.dataDir, 'auto.cnf'));
    return p;
  }

  /** The PID of the running process, verified against /proc (a stale PID file gives undefined). */
  async pid(spec: Pick<MysqldSpec, 'name' | 'baseDir' | 'configPath'>): Promise<number | undefined> {
    const p = mysqldPaths(spec);
    if (!(await this.host.exists(p.pidFile))) return undefined;
    const pid = Number.parseInt((await this.host.readFile(p.pidFile)).trim(), 10);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    if (!(await this.host.isAlive(pid))) return undefined;
    // A reused PID belongs to some other program: only trust one started with our config.
    try {
      const cmdline = (await this.host.readFile(`/proc/${pid}/cmdline`)).split('\0');
      if (!cmdline.includes(`--defaults-file=${p.configFile}`)) return undefined;
    } catch {
      return undefined;
    }
    return pid;
  }

  /**
   * Starts the process detached (its own session, so a killed test run does not take it along)
   * and waits until it answers a query. Refuses if one is already running on this config.
   */
  async start(spec: MysqldSpec, options: StartOptions = {}): Promise<{ pid: number }> {
    const p = mysqldPaths(spec);
    const running = await this.pid(spec);
    if (running !== undefined) {
      throw new StateError('MYSQLD_RUNNING', `mysqld ${spec.name} is already running (pid ${running})`, { next: 'stop it first' });
    }
    // mariadbd refuses to start over a stale pid file only sometimes; remove ours to be sure.
    await this.host.remove(p.pidFile);
    const server = this.binaries(spec).server;
    await this.requireBinary(server, spec.engine);
    const started = this.clock.monotonic();
    const initFile = join(p.dir, 'start-init.sql');
    const args = [`--defaults-file=${p.configFile}`];
    const init = [...(options.restoreLocalRoot && spec.engine?.kind === 'mysql' ? [localRootSql(await hostOsUser(this.host))] : []), ...(options.initSql !== undefined ? [options.initSql] : [])];
    if (init.length > 0) {
      await this.host.writeFile(initFile, `${init.join('\n')}\n`, 0o600);
      args.push(`--init-file=${initFile}`);
    }
    try {
      const { pid } = await this.host.spawnDetached(server, args, { logFile: p.consoleLog });
      this.logger.debug({ mysqld: spec.name, pid, address: `${spec.bindAddress}:${spec.port}` }, 'mysqld started');
      await this.waitReady(spec, pid, options.readyTimeoutMs ?? 30_000);
      this.logger.info({ mysqld: spec.name, pid, address: `${spec.bindAddress}:${spec.port}`, ms: Math.round(this.clock.monotonic() - started) }, 'mysqld ready');
      return { pid };
    } finally {
      if (init.length > 0) await this.host.remove(initFile);
    }
  }

  /** Waits until process `pid` has exited by itself (e.g. a server that shuts down after CLONE); false when it still runs after `ms`. */
  waitExited(pid: number, ms: number): Promise<boolean> {
    return this.waitGone(pid, ms);
  }


  /** Polls with a real query over the socket until it answers, the process dies, or time runs out. */
  async waitReady(spec: MysqldSpec, pid: number, timeoutMs: number): Promise<void> {
    const p = mysqldPaths(spec);
    const deadline = this.clock.monotonic() + timeoutMs;
    let lastError = '';
    while (this.clock.monotonic() < deadline) {
      if (!(await this.host.isAlive(pid))) {
        throw new RemoteError('MYSQLD_EXITED', `mysqld ${spec.name} exited during start-up: ${await this.tail(p)}`, {
          next: `read ${p.errorLog}; a port or address already in use, or a datadir owned by another process, are the usual causes`,
        });
      }
      const remaining = Math.max(200, Math.min(2_000, deadline - this.clock.monotonic()));
      try {
        const r = await this.host.run(this.binaries(spec).client, [...rootClientArgs(p.socket), '-N', '-B', '-e', 'SELECT 1'], { timeoutMs: remaining });
        if (r.exitCode === 0 && r.stdout.trim() === '1') return;
        lastError = r.stderr.trim();
      } catch (e) {
        lastError = (e as Error).message;
      }
      await this.clock.sleep(READY_POLL_MS);
    }
    throw new TimeoutError(`mysqld ${spec.name} (pid ${pid}) did not answer a query within ${timeoutMs} ms: ${lastError}`, {
      next: `read ${p.errorLog}`,
    });
  }

  /**
   * Stops the process: SIGTERM (clean InnoDB shutdown), then SIGKILL after the grace period.
   * Returns the PID it stopped, or undefined when nothing was running.
   */
  async stop(spec: Pick<MysqldSpec, 'name' | 'baseDir' | 'configPath'>, options: StopOptions = {}): Promise<number | undefined> {
    const pid = await this.pid(spec);
    if (pid === undefined) return undefined;
    await this.stopPid(pid, options.graceMs ?? 20_000);
    this.logger.debug({ mysqld: spec.name, pid }, 'mysqld stopped');
    return pid;
  }

  /** Kills the process at once (SIGKILL): a crash, for failover simulation and tests. */
  async kill(spec: Pick<MysqldSpec, 'name' | 'baseDir' | 'configPath'>): Promise<number | undefined> {
    const pid = await this.pid(spec);
    if (pid === undefined) return undefined;
    await this.stopPid(pid, 0);
    return pid;
  }

  /** Sends SIGTERM, waits up to graceMs, then SIGKILL and waits until the PID is gone. */
  async stopPid(pid: number, graceMs: number): Promise<void> {
    if (graceMs > 0 && (await this.host.kill(pid, 'SIGTERM'))) {
      if (await this.waitGone(pid, graceMs)) return;
      this.logger.warn({ pid, graceMs }, 'mysqld did not stop after SIGTERM; sending SIGKILL');
    }
    await this.host.kill(pid, 'SIGCONT');
    await this.host.kill(pid, 'SIGKILL');
    if (!(await this.waitGone(pid, 10_000))) throw new TimeoutError(`process ${pid} survived SIGKILL for 10 s`);
  }

  private async waitGone(pid: number, ms: number): Promise<boolean> {
    const deadline = this.clock.monotonic() + ms;
    while (this.clock.monotonic() < deadline) {
      if (!(await this.host.isAlive(pid))) return true;
      await this.clock.sleep(25);
    }
    return !(await this.host.isAlive(pid));
  }

  /** Fails with MissingDependencyError naming the first program of the engine that is not installed. */
  async requireBinaries(engine: MysqldEngine = MARIADB_ENGINE): Promise<void> {
    const b = this.binaries({ engine });
    for (const name of [b.server, b.installDb, b.client]) if (name !== undefined) await this.requireBinary(name, engine);
  }

  private async requireBinary(name: string, engine: MysqldEngine = MARIADB_ENGINE): Promise<void> {
    const found = name.startsWith('/') ? ((await this.host.exists(name)) ? name : undefined) : await this.host.which(name);
    if (found === undefined) {
      throw new MissingDependencyError(`${name} is not installed on ${this.host.name}`, { next: installHint(engine) });
    }
  }

  private async tail(p: MysqldPaths): Promise<string> {
    for (const f of [p.errorLog, p.consoleLog]) {
      if (await this.host.exists(f)) {
        const lines = (await this.host.readFile(f)).trim().split('\n');
        const errors = lines.filter((l) => /\[ERROR\]/.test(l)).slice(-3);
        if (errors.length > 0) return errors.join(' | ');
        if (lines.length > 0 && lines[0] !== '') return lines.slice(-3).join(' | ');
      }
    }
    return '(no log output)';
  }
}
