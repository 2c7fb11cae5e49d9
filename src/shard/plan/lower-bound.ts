import { DIMS, NDIMS, type Dim, type Vec } from './demand.js';

/** A lower bound on the hosts any valid plan on one host type needs, and what sets it. */
export interface LowerBound {
  hosts: number;
  /** The bound from each resource alone, and from the copies of one shard needing distinct hosts. */
  by: Record<Dim | 'copies', number>;
  /** The argument that gives the bound (the scarcest resource). */
  binding: Dim | 'copies';
}

/**
 * No packing can beat the total demand of a resource divided by what one host may use of it; the
 * IP slots are a resource like the others (one per mysqld); and the copies of a shard need that
 * many distinct hosts. The bound is the largest of these. The small epsilon only ever lowers a
 * bound (10.0000000001 counts as 10), so it stays valid under float rounding.
 */
export function lowerBound(demands: readonly Vec[], copies: number, cap: Vec): LowerBound {
  const totals = new Array<number>(NDIMS).fill(0);
  for (const v of demands) for (let d = 0; d < NDIMS; d++) totals[d] = (totals[d] as number) + (v[d] as number) * copies;
  const by = { copies } as Record<Dim | 'copies', number>;
  let hosts = demands.length === 0 ? 0 : copies;
  let binding: Dim | 'copies' = 'copies';
  DIMS.forEach((dim, d) => {
    const need = Math.max(0, Math.ceil((totals[d] as number) / (cap[d] as number) - 1e-9));
    by[dim] = need;
    if (need > hosts) {
      hosts = need;
      binding = dim;
    }
  });
  return { hosts, by, binding };
}
