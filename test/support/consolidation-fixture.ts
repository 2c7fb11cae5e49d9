import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { FileJournal, type JournalEntry } from '../../src/core/phases/journal.js';
import type { ShardPlan } from '../../src/shard/plan/plan-types.js';
import { dbfleet, type CliResult } from './cli.js';
import { LocalHost } from '../../src/host/local-host.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { SandboxFixture } from './sandbox-fixture.js';
import { testEngine } from './engines.js';
import { startSshd, type SshdFixture } from './sshd-fixture.js';
import { makeTempDir } from './temp-dir.js';

const BIN = join(process.cwd(), 'bin', 'dbfleet.js');

export interface ConsolidationSetup {
  dir: string;
  inventoryFile: string;
  planFile: string;
  configFile: string;
  journalFile: string;
  plan: ShardPlan;
  /** Plan host name -> its base_dir on the machine. */
  baseDirs: Record<string, string>;
  pool: string;
}

/**
 * A consolidation of a sandbox's clusters onto two target hosts reached over real sshd: the
 * inventory (each cluster a shard: its writer the master, its readers the replicas), the plan made
 * by the real `shard plan`, and a fleet config with the consolidation section (host keys checked
 * against known_hosts; secondary addresses from a loopback pool of the sandbox's slot).
 */
export async function setUpConsolidation(fx: SandboxFixture, ssh: readonly SshdFixture[], dir: string, o: { observationMinutes?: number; seedsPerHost?: number } = {}): Promise<ConsolidationSetup> {
  const engine = testEngine(fx.engine);
  const state = await fx.state();
  const pool = `127.${state.slot}.200.0/24`;
  const inventory = {
    shards: state.clusters.map((c) => {
      const [master, ...replicas] = [...c.instances].sort((a, b) => (a.role === b.role ? 0 : a.role === 'writer' ? -1 : 1));
      return {
        name: c.name,
        master: { host: master?.host, az: 'sbx-a' },
        replicas: replicas.map((r) => ({ host: r.host, az: 'sbx-b' })),
        data_gb: 1,
        peak_cpu: 0.2,
        peak_iops: 100,
        buffer_pool_gb: 0.015625, // 16 MB
      };
    }),
    host_types: [{ name: 'sandbox.small', vcpu: 4, memory_gb: 2, nvme_gb: 40, nvme_iops: 5000, max_private_ips: 8 }],
    policy: {
      copies: 2,
      azs: ['sbx-a', 'sbx-b'],
      mysqld_overhead_gb: 0.05,
      private_cidrs: { 'sbx-a': `127.${state.slot}.200.0/25`, 'sbx-b': `127.${state.slot}.200.128/25` },
      base_server_id: 5000,
      host_prefix: 'db',
      ...(o.seedsPerHost !== undefined ? { seeds_per_host: o.seedsPerHost } : {}),
    },
  };
  const inventoryFile = join(dir, 'inventory.yaml');
  await writeFile(inventoryFile, stringify(inventory));
  const planFile = join(dir, 'plan.json');
  const made = await dbfleet(['shard', 'plan', '--inventory', inventoryFile, '--out', planFile]);
  if (made.code !== 0) throw new Error(`shard plan failed: ${made.stderr}`);
  const plan = JSON.parse(await readFile(planFile, 'utf8')) as ShardPlan;
  const baseDirs: Record<string, string> = {};
  const hosts = await Promise.all(
    plan.hosts.map(async (h, i) => {
      const s = ssh[i % ssh.length] as SshdFixture;
      baseDirs[h.name] = join(dir, h.name);
      return {
        name: h.name,
        base_dir: join(dir, h.name),
        config_dir: join(dir, h.name, 'etc'),
        ssh: {
          host: s.host,
          port: s.port,
          user: s.user,
          identity_file: s.clientKeyPath,
          known_hosts: await s.writeKnownHosts(`known_hosts_${h.name}`, [s.knownHostsLine('ed25519')]),
        },
      };
    }),
  );
  const fleet = parse(await readFile(join(fx.dir, 'fleet.yaml'), 'utf8')) as Record<string, unknown>;
  fleet['switchover'] = { ...(fleet['switchover'] as object), app_users: ['app'], catch_up_timeout_ms: 10_000, max_lag_seconds: 3 };
  fleet['consolidation'] = {
    // the target hosts run what the shards run (MySQL from the ensure-mysql prefix)
    ...(engine.kind === 'mysql' ? { engine: 'mysql', ...(engine.prefix !== undefined ? { mysql_prefix: engine.prefix } : {}) } : {}),
    hosts,
    ip_provider: { kind: 'loopback', pool, allocation_file: join(dir, 'ip-allocations.json') },
    run_as_root: process.getuid?.() === 0,
    observation_minutes: o.observationMinutes ?? 0,
    seed_timeout_ms: 120_000,
    catch_up_timeout_ms: 60_000,
    verify_timeout_ms: 60_000,
  };
  const configFile = join(dir, 'fleet-consolidate.yaml');
  await writeFile(configFile, stringify(fleet));
  return { dir, inventoryFile, planFile, configFile, journalFile: `${planFile}.journal`, plan, baseDirs, pool };
}

export async function journalEntries(file: string): Promise<JournalEntry[]> {
  return new FileJournal(file).read();
}

/**
 * Runs `shard apply ... --resume` and SIGKILLs it as soon as the journal shows `phase` started
 * (after `afterMs`): a crash inside that phase. With `failpoint` (`<shard>:<switchover phase>`)
 * the process kills itself right after that step instead. `killed` is true only when the
 * process really ended by SIGKILL.
 */
export function applyKilledIn(setup: ConsolidationSetup, phase: string | undefined, o: { afterMs?: number; failpoint?: string; args?: string[] } = {}): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'shard', 'apply', setup.planFile, '--config', setup.configFile, '--resume', ...(o.args ?? [])], {
      env: { ...process.env, DBFLEET_LOG_LEVEL: 'warn', ...(o.failpoint ? { DBFLEET_FAILPOINT: o.failpoint } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const before = journalEntries(setup.journalFile).then((e) => e.length);
    const timer = setInterval(() => {
      void (async () => {
        if (phase === undefined) return;
        const skip = await before;
        const entries = await journalEntries(setup.journalFile).catch(() => []);
        if (!sent && entries.slice(skip).some((e) => e.phase === phase && e.event === 'start')) {
          sent = true;
          clearInterval(timer);
          if ((o.afterMs ?? 0) > 0) await new Promise((r) => setTimeout(r, o.afterMs));
          child.kill('SIGKILL');
        }
      })();
    }, 5);
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`apply did not reach ${phase ?? o.failpoint} within 150 s:\n${stderr}`));
    }, 150_000);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve({ killed: signal === 'SIGKILL', code, stderr });
    });
    child.on('error', reject);
  });
}

export function applyResume(setup: ConsolidationSetup, extra: string[] = []): Promise<CliResult> {
  return dbfleet(['shard', 'apply', setup.planFile, '--config', setup.configFile, '--resume', ...extra], { timeoutMs: 240_000 });
}

/**
 * Everything a consolidation test runs on: a sandbox of `shards` shards (a master and a replica
 * each), two real sshd standing for the two target hosts, and the plan and config of
 * setUpConsolidation. down() stops every mysqld the plan names (by its verified PID file), the
 * sandbox and the sshd, and removes the directory.
 */
export class ConsolidationRig {
  private constructor(
    readonly fx: SandboxFixture,
    readonly ssh: SshdFixture[],
    readonly setup: ConsolidationSetup,
    private readonly removeDir: () => Promise<void>,
  ) {}

  static async up(shards: number, prefix: string, o: { seedsPerHost?: number; engine?: EngineKind } = {}): Promise<ConsolidationRig> {
    const tmp = await makeTempDir(prefix);
    const [fx, ...ssh] = await Promise.all([SandboxFixture.up(shards, 1, undefined, { engine: o.engine ?? 'mariadb' }), startSshd(), startSshd()]);
    try {
      return new ConsolidationRig(fx, ssh, await setUpConsolidation(fx, ssh, tmp.path, o), tmp.remove);
    } catch (e) {
      await fx.down();
      await Promise.all(ssh.map((s) => s.stop()));
      await tmp.remove();
      throw e;
    }
  }

  async down(): Promise<void> {
    const local = new LocalHost();
    for (const move of this.setup.plan.moves) {
      for (const p of [move.to.master, ...move.to.replicas]) {
        const base = this.setup.baseDirs[p.host] as string;
        // killed, not stopped cleanly: nothing is kept (a MySQL source with replicas waits ~8 s more to stop)
        await new MysqldManager(local).kill({ name: move.shard, baseDir: base, configPath: join(base, 'etc', `my-${move.shard}.cnf`) }).catch(() => undefined);
      }
    }
    await this.fx.down();
    await Promise.all(this.ssh.map((s) => s.stop()));
    await this.removeDir();
  }
}
