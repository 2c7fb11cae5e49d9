import type { HostType, Policy, ShardSpec } from './inventory-schema.js';

/**
 * Resource vectors. Index order is fixed: cpu (vCPU), memory (GB), disk (GB), iops, ips (mysqld
 * slots, one secondary private IP each). Plain arrays keep the packer's inner loops cheap.
 */
export const DIMS = ['cpu', 'memory', 'disk', 'iops', 'ips'] as const;
export type Dim = (typeof DIMS)[number];
export type Vec = readonly number[];
export const NDIMS = DIMS.length;

/** Relative slack for float sums: a host filled to exactly its usable capacity still fits. */
export const EPS = 1e-9;

/**
 * What one copy of a shard needs on a host. Every copy is sized for the shard's peak, because any
 * replica may become the master (a switchover now, a failover later) on the same host.
 */
export function copyDemand(shard: ShardSpec, policy: Policy): Vec {
  return [shard.peak_cpu, shard.buffer_pool_gb + policy.mysqld_overhead_gb, shard.data_gb, shard.peak_iops, 1];
}

/**
 * What a host of this type may use: each resource times its headroom fraction. The host keeps its
 * primary private address for itself, so it runs at most max_private_ips - 1 mysqld.
 */
export function usableCapacity(type: HostType, policy: Policy): Vec {
  const h = policy.headroom;
  return [type.vcpu * h.cpu, type.memory_gb * h.memory, type.nvme_gb * h.disk, type.nvme_iops * h.iops, type.max_private_ips - 1];
}

export function fits(load: Vec, demand: Vec, cap: Vec): boolean {
  for (let d = 0; d < NDIMS; d++) {
    if ((load[d] as number) + (demand[d] as number) > (cap[d] as number) * (1 + EPS) + EPS) return false;
  }
  return true;
}

/** The dimensions on which one copy alone exceeds a host's usable capacity. */
export function oversizedDims(demand: Vec, cap: Vec): Dim[] {
  return DIMS.filter((_, d) => (demand[d] as number) > (cap[d] as number) * (1 + EPS) + EPS);
}

export function vecToRecord(v: Vec): Record<Dim, number> {
  return { cpu: v[0] as number, memory: v[1] as number, disk: v[2] as number, iops: v[3] as number, ips: v[4] as number };
}
