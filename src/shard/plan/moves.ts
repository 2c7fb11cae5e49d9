import type { ShardSpec } from './inventory-schema.js';
import type { MoveStep, PlannedProcess, ProcessRef, Role, ShardMove } from './plan-types.js';

/** Where one shard's copies land: its target processes, master first. */
export interface ShardTargets {
  master: ProcessRef & { process: PlannedProcess };
  replicas: (ProcessRef & { process: PlannedProcess })[];
}

const ref = (p: ProcessRef): ProcessRef => ({ host: p.host, ip: p.ip, port: p.port, server_id: p.server_id });

/** Seed from a current replica, so the current master serves only replication while copying. */
function seedSource(shard: ShardSpec): string {
  return shard.replicas[0]?.host ?? shard.master.host;
}

/**
 * The order of moves. Shards keep the inventory's order, grouped into waves: within a wave no
 * target host receives (and no current server sends) more than seedsPerHost seeds, so a wave can
 * run in parallel without two copies competing for one host's disk. Each move is the runbook of
 * the apply phase: provision, seed, catch up, verify, switch over, then retire the current
 * servers that no longer hold any shard (after an observation period, on explicit confirmation).
 */
export function orderMoves(shards: readonly ShardSpec[], targets: readonly ShardTargets[], seedsPerHost: number): ShardMove[] {
  const busy = new Map<string, number[]>();
  const waveOf = shards.map((shard, s) => {
    const t = targets[s] as ShardTargets;
    const hosts = [...new Set([t.master.host, ...t.replicas.map((r) => r.host), `current:${seedSource(shard)}`])];
    for (let wave = 0; ; wave++) {
      if (hosts.every((h) => (busy.get(h)?.[wave] ?? 0) < seedsPerHost)) {
        for (const h of hosts) {
          const counts = busy.get(h) ?? [];
          counts[wave] = (counts[wave] ?? 0) + 1;
          busy.set(h, counts);
        }
        return wave;
      }
    }
  });
  const order = shards.map((_, s) => s).sort((a, b) => (waveOf[a] as number) - (waveOf[b] as number) || a - b);
  const position = new Int32Array(shards.length);
  order.forEach((s, i) => (position[s] = i));
  // A current server can be retired after the last move of any shard it holds.
  const lastMove = new Map<string, number>();
  shards.forEach((shard, s) => {
    for (const h of [shard.master.host, ...shard.replicas.map((r) => r.host)]) lastMove.set(h, Math.max(lastMove.get(h) ?? -1, position[s] as number));
  });
  const retireAt = new Map<number, string[]>();
  for (const [h, i] of lastMove) retireAt.set(i, [...(retireAt.get(i) ?? []), h]);

  return order.map((s, i) => {
    const shard = shards[s] as ShardSpec;
    const t = targets[s] as ShardTargets;
    const all = [t.master, ...t.replicas];
    const steps: MoveStep[] = [
      {
        step: 'provision',
        processes: all.map((p) => ({ ...ref(p), role: p.process.role as Role, config_path: p.process.config_path, buffer_pool_mb: p.process.buffer_pool_mb })),
      },
      { step: 'seed', source: seedSource(shard), targets: all.map(ref) },
      { step: 'catch_up', source_master: shard.master.host, targets: all.map(ref) },
      // another replica than the seed source when there is one: drift of the source then shows
      { step: 'verify', reference: shard.replicas[1]?.host ?? seedSource(shard), targets: all.map(ref) },
      { step: 'switchover', from: shard.master.host, to: ref(t.master) },
    ];
    const retire = retireAt.get(i);
    if (retire) steps.push({ step: 'retire', hosts: [...retire].sort() });
    return {
      order: i + 1,
      wave: (waveOf[s] as number) + 1,
      shard: shard.name,
      from: { master: shard.master.host, replicas: shard.replicas.map((r) => r.host) },
      to: { master: ref(t.master), replicas: t.replicas.map(ref) },
      steps,
    };
  });
}
