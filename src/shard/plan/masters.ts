import { BugError } from '../../core/errors.js';
import { MaxFlow } from './max-flow.js';

export interface MasterChoice {
  /** For each shard, the index of the host that runs its master. */
  hostOf: Int32Array;
  /** The most masters any host runs: the smallest cap that lets every shard have a master. */
  hostCap: number;
}

type Host = { az: number; shards: readonly number[] };

/**
 * Picks one copy of every shard to be its master, spreading masters over hosts and AZs: a maximum
 * flow from shards, through the hosts holding their copies, to the AZs. The host cap starts at the
 * even share, ceil(shards / hosts), and grows until every shard has a master; it never needs to
 * exceed the largest ceil(copies on a host / copies per shard), because giving each copy 1/copies
 * of its shard's master is a fractional solution within those caps (and max flow is integral).
 * Each AZ is then capped at its own share, ceil(copies in the AZ / copies per shard), raised only
 * if no choice fits. Placement is sized for every copy to be a master, so this never affects it.
 */
export function chooseMasters(hosts: readonly Host[], nShards: number, nAz: number, copies: number): MasterChoice {
  const unlimited = new Array<number>(nAz).fill(nShards);
  let hostCap = Math.ceil(nShards / hosts.length);
  let hostOf = assign(hosts, nShards, nAz, hostCap, unlimited);
  for (; !hostOf; hostOf = assign(hosts, nShards, nAz, hostCap, unlimited)) {
    hostCap++;
    if (hostCap > nShards) throw new BugError('chooseMasters: a shard has no copy on any host');
  }
  const azCopies = new Array<number>(nAz).fill(0);
  for (const h of hosts) azCopies[h.az] = (azCopies[h.az] as number) + h.shards.length;
  for (let extra = 0; extra <= nShards; extra++) {
    const balanced = assign(hosts, nShards, nAz, hostCap, azCopies.map((n) => Math.ceil(n / copies) + extra));
    if (balanced) {
      hostOf = balanced;
      break;
    }
  }
  rebalance(hosts, hostOf, nAz);
  return { hostOf, hostCap };
}

/**
 * Caps bound the busiest host and AZ but not the quietest. Move a master to another copy of its
 * shard while that evens out the AZs or the hosts without making either less even, until no such
 * move is left (each move lowers the sum of squared counts, so this ends).
 */
function rebalance(hosts: readonly Host[], hostOf: Int32Array, nAz: number): void {
  const copiesOf: number[][] = Array.from({ length: hostOf.length }, () => []);
  hosts.forEach((h, i) => h.shards.forEach((s) => copiesOf[s]?.push(i)));
  const perHost = new Int32Array(hosts.length);
  const perAz = new Int32Array(nAz);
  hostOf.forEach((h) => {
    perHost[h] = (perHost[h] as number) + 1;
    const az = (hosts[h] as Host).az;
    perAz[az] = (perAz[az] as number) + 1;
  });
  for (let moved = true; moved; ) {
    moved = false;
    for (let s = 0; s < hostOf.length; s++) {
      const from = hostOf[s] as number;
      const fromAz = (hosts[from] as Host).az;
      let best = -1;
      let bestGain = 0;
      for (const to of copiesOf[s] as number[]) {
        const toAz = (hosts[to] as Host).az;
        // Change in the sum of squares: 2 * (target - source) + 2 for a move of one.
        const dHost = to === from ? 0 : 2 * ((perHost[to] as number) - (perHost[from] as number)) + 2;
        const dAz = toAz === fromAz ? 0 : 2 * ((perAz[toAz] as number) - (perAz[fromAz] as number)) + 2;
        if (dHost <= 0 && dAz <= 0 && dHost + dAz < bestGain) {
          best = to;
          bestGain = dHost + dAz;
        }
      }
      if (best < 0) continue;
      const toAz = (hosts[best] as Host).az;
      perHost[from] = (perHost[from] as number) - 1;
      perHost[best] = (perHost[best] as number) + 1;
      perAz[fromAz] = (perAz[fromAz] as number) - 1;
      perAz[toAz] = (perAz[toAz] as number) + 1;
      hostOf[s] = best;
      moved = true;
    }
  }
}

function assign(hosts: readonly Host[], nShards: number, nAz: number, hostCap: number, azCaps: readonly number[]): Int32Array | undefined {
  // Nodes: source, shards, hosts, AZs, sink.
  const source = 0;
  const shard0 = 1;
  const host0 = shard0 + nShards;
  const az0 = host0 + hosts.length;
  const sink = az0 + nAz;
  const g = new MaxFlow(sink + 1);
  for (let s = 0; s < nShards; s++) g.addEdge(source, shard0 + s, 1);
  const edges: { shard: number; host: number; id: number }[] = [];
  hosts.forEach((h, i) => {
    for (const s of h.shards) edges.push({ shard: s, host: i, id: g.addEdge(shard0 + s, host0 + i, 1) });
    g.addEdge(host0 + i, az0 + h.az, hostCap);
  });
  for (let a = 0; a < nAz; a++) g.addEdge(az0 + a, sink, azCaps[a] as number);
  if (g.run(source, sink) < nShards) return undefined;
  const hostOf = new Int32Array(nShards).fill(-1);
  for (const e of edges) if (g.flowOn(e.id) > 0) hostOf[e.shard] = e.host;
  return hostOf;
}
