import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { createLogger, silentLogger, type Logger } from '../../src/core/logger.js';
import { main } from '../../src/cli/main.js';
import { migrateEnvFromConfig, type LoadedMigrateEnv } from '../../src/migrate/migrate-env-from-config.js';
import { migrationSandboxUp, type MigrationSandbox } from '../../src/migrate/sandbox/migration-sandbox.js';
import { localSandboxDeps } from '../../src/sandbox/local-sandbox-deps.js';
import type { SandboxDeps } from '../../src/sandbox/sandbox-deps.js';
import { sandboxDown } from '../../src/sandbox/sandbox-down.js';
import { listRecords } from '../../src/dns/record-store.js';
import type { MysqlAdmin } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { dialectOf } from '../../src/migrate/migrate-connect.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { testEngine } from './engines.js';
import { makeTempDir } from './temp-dir.js';

/**
 * A migration sandbox for one test file and engine: the source, the Aurora-like target replicating
 * from it (emulated Aurora 2 on MariaDB, Aurora 3 on MySQL 9.7), MyDNS and PowerDNS.
 */
export class MigrateFixture {
  private constructor(
    readonly sb: MigrationSandbox,
    readonly deps: SandboxDeps,
    readonly loaded: LoadedMigrateEnv,
    private readonly tmp: { path: string; remove: () => Promise<void> },
    /** What both sides run. */
    readonly engine: EngineKind,
  ) {}

  static async up(o: { recordTtlS?: number; logger?: Logger; engine?: EngineKind } = {}): Promise<MigrateFixture> {
    const engine = o.engine ?? 'mariadb';
    const tmp = await makeTempDir('mig');
    const deps = localSandboxDeps(o.logger ?? silentLogger);
    try {
      const sb = await migrationSandboxUp(deps, { dir: join(tmp.path, 's'), engine: testEngine(engine), recordTtlS: o.recordTtlS ?? 2, cutover: { ttl_s: 1, writes_stopped_ms: 100, replication_wait_ms: 15_000, long_transaction_s: 2 } });
      const loaded = await migrateEnvFromConfig(sb.configFile, { env: {}, logger: o.logger ?? silentLogger, actor: 'test' });
      return new MigrateFixture(sb, deps, loaded, tmp, engine);
    } catch (e) {
      await tmp.remove();
      throw e;
    }
  }

  get env() {
    return this.loaded.env;
  }

  journal(name: string): string {
    return join(this.tmp.path, `${name}.journal`);
  }

  /** One query as the admin user on an instance (by host). */
  async sql(host: string, query: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    const s = await openSession({ host, port: 3306, user: 'dbfleet', password: this.sb.passwords.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
    try {
      return await s.query(query, params);
    } finally {
      await s.close();
    }
  }

  async records(): Promise<{ writer: string[]; reader: Record<string, number>; ttls: number[] }> {
    const s = await this.env.openDns();
    try {
      const w = await listRecords(s, this.sb.state.dns.zone, this.sb.config.dns.writer_record);
      const r = await listRecords(s, this.sb.state.dns.zone, this.sb.config.dns.reader_record);
      return { writer: w.records.map((x) => x.address), reader: Object.fromEntries(r.records.map((x) => [x.address, x.weight])), ttls: [...w.records, ...r.records].map((x) => x.ttl) };
    } finally {
      await s.close();
    }
  }

  /** Which of app / app_frozen_dbfleet exist on an instance. */
  async accounts(host: string): Promise<string[]> {
    return (await this.sql(host, "SELECT User AS u FROM mysql.user WHERE User LIKE 'app%' ORDER BY User")).map((r) => String(r['u']));
  }

  /** Work as the admin on an instance (by host), through the dialect its server calls for. */
  async admin<T>(host: string, work: (a: MysqlAdmin) => Promise<T>): Promise<T> {
    const a = await connectAdmin({ host, port: 3306, user: 'dbfleet', password: this.sb.passwords.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
    try {
      return await work(a);
    } finally {
      await a.close();
    }
  }

  /** Source host and both threads of an instance's replication (the dialect's replica status), or null. */
  async replication(host: string): Promise<string | null> {
    const r = await this.admin(host, (a) => a.replicaStatus());
    if (!r) return null;
    const yes = (v: boolean) => (v ? 'Yes' : 'No');
    return `${r.sourceHost} io=${r.ioRunning === 'connecting' ? 'Connecting' : yes(r.ioRunning === 'yes')} sql=${yes(r.sqlRunning)}`;
  }

  async readOnly(host: string): Promise<number> {
    return Number((await this.sql(host, 'SELECT @@read_only AS ro'))[0]?.['ro']);
  }

  /** The dialect's full read-only: @@super_read_only on MySQL (stops SUPER writers too), @@read_only on MariaDB. */
  async fullReadOnly(host: string): Promise<number> {
    return this.admin(host, async (a) => {
      const q = dialectOf(a).fullReadOnlyQuery();
      return Number((await a.session.query(q.sql, q.params))[0]?.['ro']);
    });
  }

  /**
   * Moves an instance's @@gtid_mode to `want` one step at a time (MySQL allows no jump):
   * OFF <-> OFF_PERMISSIVE <-> ON_PERMISSIVE <-> ON.
   */
  async stepGtidMode(host: string, want: 'OFF' | 'OFF_PERMISSIVE' | 'ON_PERMISSIVE' | 'ON'): Promise<void> {
    const order = ['OFF', 'OFF_PERMISSIVE', 'ON_PERMISSIVE', 'ON'];
    let at = order.indexOf(String((await this.sql(host, 'SELECT @@GLOBAL.gtid_mode AS m'))[0]?.['m']));
    const to = order.indexOf(want);
    while (at !== to) {
      at += at < to ? 1 : -1;
      await this.sql(host, `SET GLOBAL gtid_mode = ${order[at]}`);
    }
  }

  /** Runs the real CLI in this process; stdout, stderr and every log line (debug level) are captured. */
  async cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const sink = (add: (s: string) => void) => new Writable({ write(chunk: Buffer, _e, cb) { add(chunk.toString()); cb(); } });
    const err = sink((s) => (stderr += s));
    const code = await main(['node', 'dbfleet', ...args], { stdout: sink((s) => (stdout += s)), stderr: err, env: {}, logger: createLogger({ level: 'debug', destination: err }) });
    return { code, stdout, stderr };
  }

  async down(): Promise<void> {
    await sandboxDown(this.deps, this.sb.dir).catch(() => undefined);
    await this.tmp.remove();
  }
}

/**
 * The state before any cutover (and after every rollback): what the tests compare against. After a
 * rollback by the reverse switch the Aurora-like target keeps the write user frozen (`targetFrozen`):
 * it cannot be made read-only, so its step 9 does not rename the account back there; a rollback by
 * undo leaves the target's account as it was before that cutover (frozen stays frozen).
 */
export async function expectInitialState(fx: MigrateFixture, expect: (v: unknown) => { toEqual: (x: unknown) => void; toBe: (x: unknown) => void }, o: { targetFrozen?: boolean } = {}): Promise<void> {
  const { source, target, sourceReader } = fx.sb;
  const rec = await fx.records();
  expect(rec.writer).toEqual([source.host]);
  expect(rec.reader).toEqual({ [source.host]: 0, [sourceReader.host]: 100 });
  expect(rec.ttls.every((t) => t === 2)).toBe(true);
  expect(await fx.accounts(source.host)).toEqual(['app']);
  expect(await fx.accounts(target.host)).toEqual([o.targetFrozen ? 'app_frozen_dbfleet' : 'app']);
  expect(await fx.readOnly(source.host)).toBe(0);
  expect(await fx.fullReadOnly(source.host)).toBe(0);
  expect(await fx.replication(target.host)).toBe(`${source.host} io=Yes sql=Yes`);
}

/**
 * Runs `migrate run` (or `rollback`) in a child process that SIGKILLs itself at `killAfter`
 * (test/support/migrate-crash-child.ts); resolves with the signal it died of.
 */
export function runAndKill(fx: MigrateFixture, journal: string, killAfter: string, mode: 'run' | 'rollback' | 'resume' | 'rollback-resume' = 'run'): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test', 'support', 'migrate-crash-child.ts'), fx.sb.configFile, journal, killAfter, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
}
