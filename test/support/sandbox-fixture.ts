import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { loadFleetConfig } from '../../src/core/config-load.js';
import type { FleetConfig } from '../../src/core/config-schema.js';
import { listAllRecords } from '../../src/dns/record-store.js';
import type { NameState } from '../../src/dns/record-types.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import type { Endpoint } from '../../src/mysql/admin.js';
import type { SandboxDeps } from '../../src/sandbox/sandbox-deps.js';
import { sandboxDown } from '../../src/sandbox/sandbox-down.js';
import { sandboxFailover, type FailoverReport } from '../../src/sandbox/sandbox-failover.js';
import { stateInstanceSpec } from '../../src/sandbox/sandbox-instance.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { clientOf, testEngine } from './engines.js';
import { readPasswords, type SandboxPasswords } from '../../src/sandbox/sandbox-secrets.js';
import { readState, type SandboxInstanceState, type SandboxState } from '../../src/sandbox/sandbox-state.js';
import { sandboxUp } from '../../src/sandbox/sandbox-up.js';
import { localSandboxDeps } from '../../src/sandbox/local-sandbox-deps.js';
import { parseDsn } from '../../src/dns/dns-dsn.js';
import { makeTempDir } from './temp-dir.js';
import { stopProcess } from './process-stop.js';

/** A running sandbox of real processes, and the levers tests pull on it. */
export class SandboxFixture {
  private constructor(
    readonly dir: string,
    readonly deps: SandboxDeps,
    readonly passwords: SandboxPasswords,
    readonly config: FleetConfig,
    private readonly removeTmp: () => Promise<void>,
    /** What the clusters run (the MyDNS database is MariaDB either way). */
    readonly engine: EngineKind,
  ) {}

  static async up(clusters: number, readers: number, logger: Logger = silentLogger, options: { engine?: EngineKind } = {}): Promise<SandboxFixture> {
    const engine = options.engine ?? 'mariadb';
    const tmp = await makeTempDir('fx');
    const dir = join(tmp.path, 's');
    const deps = localSandboxDeps(logger, { slotDir: join(tmp.path, '..', 'dbfleet-sandbox-slots') });
    const host = deps.host;
    try {
      await sandboxUp(deps, { dir, clusters, readers, engine: testEngine(engine) });
    } catch (e) {
      await tmp.remove();
      throw e;
    }
    const passwords = await readPasswords(host, dir);
    const config = await loadFleetConfig(join(dir, 'fleet.yaml'));
    return new SandboxFixture(dir, deps, passwords, config, tmp.remove, engine);
  }

  async state(): Promise<SandboxState> {
    const s = await readState(this.dir);
    if (!s) throw new Error('sandbox state vanished');
    return s;
  }

  async instance(id: string): Promise<SandboxInstanceState> {
    const s = await this.state();
    const i = [...s.clusters.flatMap((c) => c.instances), s.dnsDb].find((x) => x.id === id);
    if (!i) throw new Error(`no instance ${id}`);
    return i;
  }

  get dnsEndpoint(): Endpoint {
    const dsn = parseDsn(this.config.dns.dsn);
    return { host: dsn.host, port: dsn.port, user: dsn.user, password: this.passwords.dbfleet, database: dsn.database };
  }

  /** Runs SQL as root over the instance's socket with its engine's own client. */
  async sql(id: string, query: string): Promise<string> {
    const i = await this.instance(id);
    const client = clientOf(id === (await this.state()).dnsDb.id ? 'mariadb' : this.engine);
    return execFileSync(client, ['--no-defaults', '-uroot', '-S', i.socket, '-N', '-B', '-e', query], { encoding: 'utf8', timeout: 10_000 }).trim();
  }

  async pid(id: string): Promise<number> {
    const i = await this.instance(id);
    const state = await this.state();
    const pid = await this.deps.mysqld.pid(stateInstanceSpec(state, i, this.deps.runAsRoot));
    if (pid === undefined) throw new Error(`${id} is not running`);
    return pid;
  }

  /** Sends a signal; a SIGSTOP returns only once every thread of the server has stopped. */
  async signal(id: string, signal: NodeJS.Signals): Promise<void> {
    const pid = await this.pid(id);
    if (signal === 'SIGSTOP') await stopProcess(pid);
    else process.kill(pid, signal);
  }

  async stopInstance(id: string): Promise<void> {
    const i = await this.instance(id);
    await this.deps.mysqld.stop(stateInstanceSpec(await this.state(), i, this.deps.runAsRoot), { graceMs: 5_000 });
  }

  async startInstance(id: string): Promise<void> {
    const i = await this.instance(id);
    await this.deps.mysqld.start(stateInstanceSpec(await this.state(), i, this.deps.runAsRoot));
  }

  failover(cluster: string, options: { candidate?: string; restartMs?: number; oldWriterReturnAfterMs?: number } = {}): Promise<FailoverReport> {
    return sandboxFailover(this.deps, { dir: this.dir, cluster, ...options });
  }

  /** Every name of the zone, read straight from MyDNS. */
  async records(): Promise<Map<string, NameState>> {
    const s = await openSession(this.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    try {
      return new Map((await listAllRecords(s, this.config.dns.zone)).map((n) => [n.name, n]));
    } finally {
      await s.close();
    }
  }

  async writerRecord(cluster: string): Promise<string[]> {
    return ((await this.records()).get(`${cluster}-w`)?.records ?? []).map((r) => r.address);
  }

  async readerWeights(cluster: string): Promise<Record<string, number>> {
    const n = (await this.records()).get(`${cluster}-r`);
    return Object.fromEntries((n?.records ?? []).map((r) => [r.address, r.weight]));
  }

  async down(): Promise<void> {
    await sandboxDown(this.deps, this.dir);
    await this.removeTmp();
  }
}

export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, ms = 10_000, every = 25): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
