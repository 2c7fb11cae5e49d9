import { DIMS, oversizedDims, usableCapacity, type Dim, type Vec } from './demand.js';
import type { HostType, Inventory } from './inventory-schema.js';
import { PlanInfeasibleError } from './plan-errors.js';

const UNIT: Record<Dim, string> = { cpu: ' vCPU', memory: ' GB', disk: ' GB', iops: ' IOPS', ips: '' };
const fmt = (n: number): string => String(Math.round(n * 100) / 100);

/** Why one copy of a shard does not fit a host type, e.g. "disk 3100 GB > 2850 usable". */
export function whyTooBig(demand: Vec, cap: Vec): string {
  return oversizedDims(demand, cap)
    .map((d) => {
      const i = DIMS.indexOf(d);
      return `${d} ${fmt(demand[i] as number)}${UNIT[d]} > ${fmt(cap[i] as number)}${UNIT[d]} usable`;
    })
    .join(', ');
}

/**
 * Refuses inventories no plan can satisfy, naming the shards and the reason: every copy must fit
 * one host of some candidate type (after headroom), and a strict AZ spread needs an AZ per copy.
 */
export function assertPlannable(inv: Inventory, types: readonly HostType[], demands: readonly Vec[]): void {
  const p = inv.policy;
  if (p.az_spread === 'strict' && p.copies > p.azs.length) {
    throw new PlanInfeasibleError(`policy.az_spread is strict, so each of the ${p.copies} copies of a shard needs its own AZ, but policy.azs lists only ${p.azs.length} (${p.azs.join(', ')})`, {
      next: 'add AZs, lower policy.copies, or use az_spread: balanced (copies spread as evenly as the AZs allow)',
      details: { copies: p.copies, azs: p.azs.length },
    });
  }
  const caps = types.map((t) => usableCapacity(t, p));
  const misfits: string[] = [];
  inv.shards.forEach((shard, s) => {
    const demand = demands[s] as Vec;
    if (caps.some((cap) => oversizedDims(demand, cap).length === 0)) return;
    const reasons = types.map((t, i) => `${t.name}: ${whyTooBig(demand, caps[i] as Vec)}`);
    misfits.push(`${shard.name} fits no host type (${reasons.join('; ')})`);
  });
  if (misfits.length > 0) {
    const shown = misfits.slice(0, 5).join('\n  ');
    const more = misfits.length > 5 ? `\n  ... and ${misfits.length - 5} more` : '';
    throw new PlanInfeasibleError(`${misfits.length} shard(s) are larger than one host can take after headroom:\n  ${shown}${more}`, {
      next: p.host_type ? `choose a bigger policy.host_type, split the shard(s), or raise policy.headroom` : 'add a bigger host type, split the shard(s), or raise policy.headroom',
      details: { shards: misfits.length },
    });
  }
}
