import { isAbsolute, join, resolve } from 'node:path';
import { StateError } from '../core/errors.js';
import { renderFleetConfig } from './fleet-config-writer.js';
import { MARIADB_ENGINE, type MysqldEngine } from '../shard/mysqld/mysqld-engine.js';
import { instanceEngine, instanceSpec, stateInstanceSpec, waitReplicating, withAdmin } from './sandbox-instance.js';
import type { SandboxDeps } from './sandbox-deps.js';
import { planLayout } from './sandbox-layout.js';
import { bootstrapSql, newPassword, writePasswords, type SandboxPasswords } from './sandbox-secrets.js';
import { allInstances, readState, writeState, type SandboxInstanceState, type SandboxState } from './sandbox-state.js';
import { sandboxAlive, stopSandboxProcesses, removeSandboxFiles } from './sandbox-down.js';
import { startSandboxDns } from './sandbox-dns.js';

export interface UpOptions {
  dir: string;
  clusters: number;
  readers: number;
  /** Pin the sandbox to 127.<slot>.0.0/16 instead of picking a free slot. */
  slot?: number | undefined;
  /** What the clusters run (MariaDB by default); the MyDNS database is MariaDB either way. */
  engine?: MysqldEngine | undefined;
}

/**
 * Brings up a sandbox: a MyDNS database served by PowerDNS, and N Aurora-like clusters (a writer and R readers
 * replicating from it), each mysqld on its own 127.<slot>.c.i address. Either everything is up
 * when it returns, or everything it started is stopped and removed again.
 */
export async function sandboxUp(deps: SandboxDeps, options: UpOptions): Promise<SandboxState> {
  const dir = resolve(options.dir);
  const started = deps.clock.monotonic();
  // Validate the shape first: bad numbers fail before anything is touched.
  planLayout(options.slot ?? 100, options.clusters, options.readers);
  const existing = await readState(dir);
  if (existing) {
    if (await sandboxAlive(deps, existing)) {
      throw new StateError('SANDBOX_RUNNING', `a sandbox is already running in ${dir}`, { next: `use it, or run: dbfleet sandbox down --dir ${dir}` });
    }
    throw new StateError('SANDBOX_STALE', `${dir} holds a sandbox whose processes are no longer running (stale PIDs)`, {
      next: `clean it up with: dbfleet sandbox down --dir ${dir}`,
    });
  }
  if (!isAbsolute(dir)) throw new StateError('BAD_DIR', `sandbox dir must resolve to an absolute path: ${options.dir}`);

  const engine = options.engine ?? MARIADB_ENGINE;
  await deps.mysqld.requireBinaries(MARIADB_ENGINE);
  if (engine.kind !== 'mariadb') await deps.mysqld.requireBinaries(engine);
  const ownerAlive = async (owner: string): Promise<boolean> => {
    const s = await readState(owner).catch(() => undefined);
    return s !== undefined && (await sandboxAlive(deps, s));
  };
  const slot = options.slot === undefined ? await deps.slots.claim(dir, ownerAlive) : await deps.slots.claimExact(options.slot, dir, ownerAlive);
  const layout = planLayout(slot, options.clusters, options.readers);
  const log = deps.logger.child({ sandbox: dir, slot });
  const toState = (i: { id: string; host: string; port: number; serverId: number; role: 'writer' | 'reader' }): SandboxInstanceState => ({
    ...i,
    socket: deps.mysqld.paths(instanceSpec(dir, i, deps.runAsRoot)).socket,
    pid: null,
  });
  const state: SandboxState = {
    version: 1,
    dir,
    engine,
    slot,
    created_at: new Date(deps.clock.now()).toISOString(),
    config: join(dir, 'fleet.yaml'),
    clusters: layout.clusters.map((c) => ({ ...c, instances: c.instances.map(toState) })),
    dnsDb: toState({ ...layout.dnsDb, role: 'writer' }),
    dns: { dsn: `mysql://dbfleet@${layout.dnsDb.host}:${layout.dnsDb.port}/mydns`, server: null, zone: layout.zone, pdnsPid: null },
  };

  try {
    await deps.host.mkdir(dir, 0o755);
    const passwords: SandboxPasswords = { dbfleet: newPassword(), repl: newPassword(), app: newPassword() };
    await writePasswords(deps.host, dir, passwords);
    // Written before any process starts, so that `down` can always find what was started.
    await writeState(deps.host, state);

    // One template datadir per engine (the MyDNS database is MariaDB), copied for every instance.
    const engines = engine.kind === 'mariadb' ? [MARIADB_ENGINE] : [MARIADB_ENGINE, engine];
    const templates = new Map<string, string>();
    await settleAll(
      engines.map(async (e) => {
        const name = e.kind === 'mariadb' ? 'template' : `template-${e.kind}`;
        const template = instanceSpec(dir, { id: name, host: `127.${slot}.0.1`, port: 3306, serverId: 1, role: 'writer' }, deps.runAsRoot, e);
        template.baseDir = dir;
        templates.set(e.kind, (await deps.mysqld.createTemplate(template, bootstrapSql(passwords))).dataDir);
      }),
    );
    log.info({ ms: Math.round(deps.clock.monotonic() - started) }, 'template datadir ready');

    const instances = allInstances(state);
    // allSettled, not all: when one start fails, the others must finish starting (and have their
    // PIDs known) before the cleanup below stops them, or one could come up after the cleanup.
    await settleAll(
      instances.map(async (inst) => {
        const spec = stateInstanceSpec(state, inst, deps.runAsRoot);
        await deps.mysqld.initDatadirFromTemplate(spec, templates.get(instanceEngine(state, inst).kind) ?? '');
        const { pid } = await deps.mysqld.start(spec);
        inst.pid = pid;
      }),
    );
    await writeState(deps.host, state);
    log.info({ instances: instances.length, ms: Math.round(deps.clock.monotonic() - started) }, 'all mysqld processes answer');

    await settleAll(
      state.clusters.flatMap((cluster) => {
        const writer = cluster.instances.find((i) => i.role === 'writer');
        if (!writer) throw new StateError('NO_WRITER', `cluster ${cluster.name} has no writer`);
        return cluster.instances
          .filter((i) => i.role === 'reader')
          .map((reader) =>
            withAdmin(deps, reader, passwords.dbfleet, async (admin) => {
              // a fresh copy of the template: its binlog holds all it has (nothing)
              await admin.changeSourceFromOwnBinlog({ host: writer.host, port: writer.port, user: 'repl', password: passwords.repl });
              await admin.startReplica();
              await waitReplicating(deps, admin, reader.id);
            }),
          );
      }),
    );
    await settleAll(
      allInstances(state).map((inst) =>
        withAdmin(deps, inst, passwords.dbfleet, async (admin) => {
          inst.version = admin.version.raw;
        }),
      ),
    );
    await startSandboxDns(deps, state, passwords.dbfleet);
    await writeState(deps.host, state);
    await deps.host.writeFile(state.config, renderFleetConfig(state), 0o644);
    log.info({ ms: Math.round(deps.clock.monotonic() - started), clusters: state.clusters.length }, 'sandbox up');
    return state;
  } catch (e) {
    log.error({ err: e }, 'sandbox up failed; stopping what it started');
    await stopSandboxProcesses(deps, state).catch((err: unknown) => log.error({ err }, 'cleanup: could not stop every process'));
    await removeSandboxFiles(deps, state).catch((err: unknown) => log.error({ err }, 'cleanup: could not remove files'));
    await deps.slots.release(slot, dir);
    throw e;
  }
}

/** Waits for every promise to settle, then throws the first failure (if any). */
async function settleAll(work: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
