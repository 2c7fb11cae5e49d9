import { BugError } from '../../core/errors.js';
import { masterAzs, spreadAcrossAzs } from './az-spread.js';
import { oversizedDims, usableCapacity, type Vec } from './demand.js';
import { whyTooBig } from './feasibility.js';
import type { HostType, Inventory } from './inventory-schema.js';
import { lowerBound, type LowerBound } from './lower-bound.js';
import { dimensionWeights, packCopies, sizeOrder, type Bin } from './pack.js';
import type { CandidateType } from './plan-types.js';

/** A packing of every copy onto hosts of one type. */
export interface Packing {
  type: HostType;
  cap: Vec;
  lowerBound: LowerBound;
  bins: Bin[];
}

/** Packs every copy of every shard onto hosts of one type (each copy must fit the type). */
export function packForType(inv: Inventory, type: HostType, demands: readonly Vec[]): Packing {
  const p = inv.policy;
  const cap = usableCapacity(type, p);
  const norm = demands.map((v) => v.map((x, d) => x / (cap[d] as number)));
  const lb = lowerBound(demands, p.copies, cap);
  const order = sizeOrder(norm, dimensionWeights(norm));
  const azCounts = spreadAcrossAzs(norm, order, p.copies, p.azs.length);
  // A quarter above the average at the lower bound: loose enough never to cost a host, tight
  // enough that hosts full of small shards cannot end up holding all of those shards' copies.
  const masterCap = Math.max(1, Math.ceil((1.25 * inv.shards.length) / lb.hosts));
  const masterAz = masterAzs(azCounts, order, p.azs.length);
  const bins = packCopies({ norm, order, copies: p.copies, nAz: p.azs.length, azCounts, lowerBound: lb.hosts, masterAz, masterCap });
  return { type, cap, lowerBound: lb, bins };
}

const price = (t: HostType): number => t.hourly_cost ?? 0;

/**
 * All target hosts are of one type. Every type that takes each shard's copy is a candidate; the
 * objective decides: `hosts` (default) takes the fewest hosts, then the lower hourly cost; `cost`
 * takes the lowest total hourly cost, then the fewest hosts. Candidates are packed in order of
 * their lower bound, and one whose lower bound cannot beat the best plan so far is skipped.
 */
export function chooseHostType(inv: Inventory, types: readonly HostType[], demands: readonly Vec[]): { chosen: Packing; candidates: CandidateType[] } {
  const p = inv.policy;
  const key = (hosts: number, t: HostType): [number, number, string] =>
    p.objective === 'cost' ? [hosts * price(t), hosts, t.name] : [hosts, price(t), t.name];
  const better = (a: [number, number, string], b: [number, number, string]): boolean =>
    a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];

  const rows = new Map<string, CandidateType>();
  const feasible: { type: HostType; lb: LowerBound }[] = [];
  for (const t of types) {
    const cap = usableCapacity(t, p);
    const tooBig = demands.findIndex((v) => oversizedDims(v, cap).length > 0);
    const base = t.hourly_cost === undefined ? {} : { hourly_cost: t.hourly_cost };
    if (tooBig >= 0) {
      rows.set(t.name, { host_type: t.name, status: 'too_small', ...base, reason: `${inv.shards[tooBig]?.name}: ${whyTooBig(demands[tooBig] as Vec, cap)}` });
      continue;
    }
    const lb = lowerBound(demands, p.copies, cap);
    feasible.push({ type: t, lb });
    rows.set(t.name, { host_type: t.name, status: 'skipped', lower_bound: lb.hosts, ...base });
  }
  feasible.sort((a, b) => (better(key(a.lb.hosts, a.type), key(b.lb.hosts, b.type)) ? -1 : 1));

  let best: Packing | undefined;
  for (const { type, lb } of feasible) {
    const row = rows.get(type.name) as CandidateType;
    if (best && !better(key(lb.hosts, type), key(best.bins.length, best.type))) {
      row.reason = `its lower bound (${lb.hosts} hosts) cannot beat ${best.type.name} (${best.bins.length} hosts)`;
      continue;
    }
    const packing = packForType(inv, type, demands);
    row.status = 'packed';
    row.hosts = packing.bins.length;
    if (!best || better(key(packing.bins.length, type), key(best.bins.length, best.type))) best = packing;
  }
  if (!best) throw new BugError('chooseHostType: no feasible type (assertPlannable should have refused)');
  (rows.get(best.type.name) as CandidateType).status = 'chosen';
  return { chosen: best, candidates: types.map((t) => rows.get(t.name) as CandidateType) };
}
