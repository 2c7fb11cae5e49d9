import { basename, join } from 'node:path';
import { ConfigError, UsageError } from '../../core/errors.js';
import type { ClusterConfig, ConsolidationHost, FleetConfig } from '../../core/config-schema.js';
import { PLAN_FORMAT, type Role, type ShardMove, type ShardPlan } from '../plan/plan-types.js';

/** A server of the shard as it runs today (an instance of the fleet config's cluster). */
export interface CurrentServer {
  id: string;
  host: string;
  port: number;
}

/** One new mysqld of a move, as apply creates it. */
export interface TargetProcess {
  /** The plan's host name, and how the config reaches it. */
  host: ConsolidationHost;
  role: Role;
  /** The planned address, or undefined when EC2 is to choose it (`auto:` in the plan). */
  plannedIp: string | undefined;
  port: number;
  serverId: number;
  bufferPoolMb: number;
  configPath: string;
  /** The secondary-IP tag (an interface label, so short): derived from the server_id. */
  ipTag: string;
}

/** A plan move joined with the fleet config: everything its phases act on. */
export interface ApplyMove {
  order: number;
  wave: number;
  shard: string;
  cluster: ClusterConfig;
  master: CurrentServer;
  replicas: CurrentServer[];
  /** Where the data is copied from: a current replica (a shard without one is refused). */
  seedSource: CurrentServer;
  /** What verify compares the copies with: another current replica when there is one, so drift of the seed source shows. */
  verifyReference: CurrentServer;
  /** The new master first, then the new replicas. */
  targets: TargetProcess[];
  /** Current servers (by address) that hold no shard once this move is done. */
  retire: CurrentServer[];
}

/** `s` + server_id in base 36: at most 8 characters, so `eth0:<tag>` stays within 15. */
export function ipTagFor(serverId: number): string {
  return `s${serverId.toString(36)}`;
}

/**
 * Joins a plan with the fleet config. Pure: every problem (a plan host the config cannot reach, a
 * shard that is not a cluster, a current server that is not one of its instances) is collected
 * and reported at once, before anything is touched.
 */
export function resolveMoves(plan: ShardPlan, config: FleetConfig): ApplyMove[] {
  if (plan.format !== PLAN_FORMAT) throw new UsageError(`the plan's format is ${JSON.stringify(plan.format)}, not ${PLAN_FORMAT}; make it with dbfleet shard plan --out`);
  const section = config.consolidation;
  if (!section) throw new ConfigError('the fleet config has no consolidation section (target hosts and the secondary-IP provider); see README "Consolidating shards"');
  if (!config.replication) throw new ConfigError('the fleet config has no replication section: new copies replicate with that account');
  const problems: string[] = [];
  const hosts = new Map(section.hosts.map((h) => [h.name, h]));
  const moves: ApplyMove[] = [];
  for (const m of plan.moves) {
    const cluster = config.clusters.find((c) => c.name === m.shard);
    if (!cluster) {
      problems.push(`shard ${m.shard}: no cluster of that name in the fleet config`);
      continue;
    }
    if (!cluster.instances) {
      problems.push(`shard ${m.shard}: its cluster is discovered through RDS; consolidation needs its instances listed`);
      continue;
    }
    const byHost = (addr: string, what: string): CurrentServer | undefined => {
      const i = cluster.instances?.find((x) => x.host === addr);
      if (!i) problems.push(`shard ${m.shard}: ${what} ${addr} is not an instance (host) of cluster ${cluster.name}`);
      return i ? { id: i.id, host: i.host, port: i.port } : undefined;
    };
    const master = byHost(m.from.master, 'current master');
    const replicas = m.from.replicas.map((r) => byHost(r, 'current replica')).filter((r): r is CurrentServer => r !== undefined);
    const targets = targetProcesses(m, plan, hosts, problems);
    for (const t of targets) {
      // the new copies replicate from the current servers and take their place: one engine
      const runs = t.host.engine ?? section.engine;
      if (runs !== cluster.engine) problems.push(`shard ${m.shard}: its cluster runs ${cluster.engine}, but plan host ${t.host.name} runs ${runs} (consolidation${t.host.engine !== undefined ? `.hosts[${section.hosts.indexOf(t.host)}]` : ''}.engine): a shard moves onto the engine it runs`);
    }
    const retireStep = m.steps.find((s) => s.step === 'retire');
    const retire = (retireStep?.step === 'retire' ? retireStep.hosts : []).map((h) => byHost(h, 'server to retire')).filter((r): r is CurrentServer => r !== undefined);
    if (!master) continue;
    const seedSource = replicas[0];
    if (!seedSource) {
      problems.push(`shard ${m.shard}: has no current replica; seeding from the master would lock it (FLUSH TABLES WITH READ LOCK) and verify would have nothing to compare with: add a replica first`);
      continue;
    }
    moves.push({ order: m.order, wave: m.wave, shard: m.shard, cluster, master, replicas, seedSource, verifyReference: replicas[1] ?? seedSource, targets, retire });
  }
  if (problems.length > 0) {
    throw new UsageError(`the plan does not fit the fleet config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`, {
      next: 'make the plan from an inventory of this fleet, and list every plan host under consolidation.hosts',
    });
  }
  return moves.sort((a, b) => a.order - b.order);
}

function targetProcesses(m: ShardMove, plan: ShardPlan, hosts: ReadonlyMap<string, ConsolidationHost>, problems: string[]): TargetProcess[] {
  const provision = m.steps.find((s) => s.step === 'provision');
  if (provision?.step !== 'provision') {
    problems.push(`shard ${m.shard}: move ${m.order} has no provision step`);
    return [];
  }
  const out: TargetProcess[] = [];
  for (const p of provision.processes) {
    const host = hosts.get(p.host);
    if (!host) {
      problems.push(`shard ${m.shard}: plan host ${p.host} is not under consolidation.hosts`);
      continue;
    }
    const planned = plan.hosts.find((h) => h.name === p.host)?.processes.find((x) => x.shard === m.shard);
    const configPath = host.config_dir === undefined ? p.config_path : join(host.config_dir, basename(p.config_path));
    out.push({
      host,
      role: p.role,
      plannedIp: p.ip.startsWith('auto:') ? undefined : p.ip,
      port: p.port,
      serverId: p.server_id,
      bufferPoolMb: planned?.buffer_pool_mb ?? p.buffer_pool_mb,
      configPath,
      ipTag: ipTagFor(p.server_id),
    });
  }
  out.sort((a, b) => (a.role === b.role ? 0 : a.role === 'master' ? -1 : 1));
  if (out.length > 0 && out[0]?.role !== 'master') problems.push(`shard ${m.shard}: the plan gives it no new master`);
  return out;
}
