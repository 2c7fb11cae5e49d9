import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { RemoteError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import type { Host } from '../../host/host.js';
import type { MysqldManager } from '../mysqld/mysqld-manager.js';
import type { MysqldEngine } from '../mysqld/mysqld-engine.js';
import { mysqldPaths, type MysqldSpec } from '../mysqld/mysqld-spec.js';
import { rootClientFor } from '../seed/seed-from-replica.js';
import { addressOf, addressesOf, hostEngine, knownAddress, targetName, targetSpec, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { ApplyMove, TargetProcess } from './apply-moves.js';

/** Marks a datadir copied whole from the template: one without it is a copy a crash cut short. */
const DATADIR_READY = '.dbfleet-datadir-ready';
const TEMPLATE_READY = '.dbfleet-template-ready';

/**
 * The empty datadir every new process on a host starts from (system tables; root by socket only).
 * Made under a name of its own and moved into place once complete: the initialiser of a run killed
 * meanwhile may still be writing its half-made one (MySQL's takes seconds), which is left to fail
 * and removed by the next run.
 */
async function ensureTemplate(host: Host, manager: MysqldManager, baseDir: string, runAsRoot: boolean, engine: MysqldEngine): Promise<string> {
  const spec = (name: string): MysqldSpec => ({ name, baseDir, bindAddress: '127.0.0.1', port: 3306, serverId: 1, bufferPoolMb: 16, readOnly: true, runAsRoot, engine });
  const p = mysqldPaths(spec('template'));
  if (await host.exists(join(p.dir, TEMPLATE_READY))) return p.dataDir;
  await host.remove(p.dir); // a template of an older version a crash left half made
  await host.mkdir(baseDir, 0o750);
  await host.check('find', [baseDir, '-maxdepth', '1', '-type', 'd', '-name', 'template-build-*', '-exec', 'rm', '-rf', '{}', '+'], { timeoutMs: 60_000 });
  const build = spec(`template-build-${randomBytes(4).toString('hex')}`);
  const b = await manager.createTemplate(build, '');
  await host.writeFile(join(b.dir, TEMPLATE_READY), `${new Date().toISOString()}\n`, 0o640);
  await host.check('mv', ['-T', '--', b.dir, p.dir], { timeoutMs: 60_000 });
  return p.dataDir;
}

async function provisionOne(move: ApplyMove, t: TargetProcess, deps: ApplyDeps, s: ApplySettings): Promise<string> {
  const host = deps.host(t.host);
  const manager = deps.mysqld(t.host);
  // one address change on a host's interface at a time (moves of a wave may share the host)
  const ip = await deps.hostLock(t.host).run(() => deps.ips(t.host).attach(t.ipTag, t.plannedIp));
  const spec = targetSpec(move, t, ip, s);
  const p = mysqldPaths(spec);
  const log = deps.logger.child({ shard: move.shard, target: targetName(move, t, ip) });
  if (!(await host.exists(join(p.dir, DATADIR_READY)))) {
    if ((await manager.pid(spec)) !== undefined) await manager.stop(spec);
    await host.remove(p.dataDir);
    // two moves of a wave provisioning on one host would otherwise both make (and remove) the template
    const template = await deps.hostLock(t.host).run(() => ensureTemplate(host, manager, t.host.base_dir, s.section.run_as_root, hostEngine(s.section, t.host)));
    await manager.initDatadirFromTemplate(spec, template);
    await host.writeFile(join(p.dir, DATADIR_READY), `${new Date().toISOString()}\n`, 0o640);
    log.info({ datadir: p.dataDir, config: p.configFile }, 'datadir created from the template');
  } else {
    await manager.writeConfig(spec);
  }
  if ((await manager.pid(spec)) === undefined) await manager.start(spec, { readyTimeoutMs: 60_000 });
  return ip;
}

/**
 * Provision: for every new copy of the shard (side by side), attach its secondary address, write
 * my-<shard>.cnf, give it a datadir from the host's template and start mysqld. Every part is
 * idempotent (the address provider by tag, the datadir by its ready marker, the process by its
 * verified PID), so a resume simply runs it again.
 */
export function provisionPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  return {
    name: `${move.shard}/provision`,
    describe: (state) =>
      `start ${move.targets.length} mysqld for ${move.shard}: ${move.targets
        .map((t) => `${t.role} on ${t.host.name} ${knownAddress(state, move, t) ?? '(address from EC2)'}:${t.port} server_id ${t.serverId}, ${t.configPath}`)
        .join('; ')}`,
    run: async (state) => {
      const ips = { ...addressesOf(state, move.shard) };
      // the copies are on different hosts: made side by side (a MySQL template and start take
      // seconds each); what must not overlap on one host is under its lock. Every copy is let
      // finish before a failure is reported, so none is left half started behind the error.
      const made = await Promise.allSettled(move.targets.map(async (t) => [String(t.serverId), await provisionOne(move, t, deps, s)] as const));
      const failed = made.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const r of made) if (r.status === 'fulfilled') ips[r.value[0]] = r.value[1];
      return { [`${move.shard}:ips`]: ips };
    },
    verify: async (state) => {
      for (const t of move.targets) {
        const ip = addressOf(state, move, t);
        const spec = targetSpec(move, t, ip, s);
        const row = (await rootClientFor(deps.host(t.host), spec).query('SELECT @@server_id AS sid, @@bind_address AS bind, @@port AS port', 10_000))[0] ?? {};
        const [sid, bind, port] = [row['sid'], row['bind'], row['port']].map((v) => String(v ?? ''));
        if (Number(sid) !== t.serverId || bind !== ip || Number(port) !== t.port) {
          throw new RemoteError('PROVISION_MISMATCH', `${targetName(move, t, ip)} answers as server_id ${sid} on ${bind}:${port}, not as planned`);
        }
      }
    },
  };
}
