import { cidrPool, placeholderPool, type AddressPool } from './addresses.js';
import type { Packing } from './choose-host-type.js';
import { DIMS, NDIMS, vecToRecord, type Dim, type Vec } from './demand.js';
import type { Inventory } from './inventory-schema.js';
import { chooseMasters } from './masters.js';
import { orderMoves, type ShardTargets } from './moves.js';
import { PLAN_FORMAT, type CandidateType, type PlannedHost, type PlannedProcess, type Resources, type ShardPlan } from './plan-types.js';

const r3 = (n: number): number => Math.round(n * 1000) / 1000;
const r1 = (n: number): number => Math.round(n * 10) / 10;

function resources(v: Vec): Resources {
  return { cpu: r3(v[0] as number), memory_gb: r3(v[1] as number), disk_gb: r3(v[2] as number), iops: r3(v[3] as number), ips: v[4] as number };
}

/** `db-1a-007`: the AZ's last part when that is unique among the AZs, else the whole AZ name. */
function hostNamer(prefix: string, azs: readonly string[], perAz: readonly number[]): (az: number, i: number) => string {
  const shorts = azs.map((az) => az.split('-').pop() ?? az);
  const short = new Set(shorts).size === shorts.length ? shorts : azs;
  const width = Math.max(3, String(Math.max(...perAz)).length);
  return (az, i) => `${prefix}-${short[az]}-${String(i + 1).padStart(width, '0')}`;
}

/**
 * Turns a packing into the plan: names the hosts, picks the masters, gives every process its
 * address, port, server_id and config path, orders the moves and sums up.
 */
export function assemblePlan(inv: Inventory, packing: Packing, demands: readonly Vec[], candidates: CandidateType[]): ShardPlan {
  const p = inv.policy;
  const nAz = p.azs.length;
  const bins = [...packing.bins].sort((a, b) => a.az - b.az);
  const perAz = p.azs.map((_, a) => bins.filter((b) => b.az === a).length);
  const nameOf = hostNamer(p.host_prefix, p.azs, perAz);
  const masters = chooseMasters(bins, inv.shards.length, nAz, p.copies);

  const current = new Set(inv.shards.flatMap((s) => [s.master.host, ...s.replicas.map((r) => r.host)]));
  const pools: AddressPool[] = p.azs.map((az, a) => {
    const cidr = p.private_cidrs?.[az];
    if (cidr === undefined) return placeholderPool();
    const needed = bins.filter((b) => b.az === a).reduce((n, b) => n + b.shards.length, 0);
    return cidrPool(az, cidr, needed, current);
  });

  const targets: Partial<ShardTargets>[] = inv.shards.map(() => ({ replicas: [] }));
  const seen = new Array<number>(nAz).fill(0);
  let serverId = p.base_server_id;
  const hosts: PlannedHost[] = bins.map((bin, b) => {
    const name = nameOf(bin.az, (seen[bin.az] = (seen[bin.az] as number) + 1) - 1);
    const usage = new Array<number>(NDIMS).fill(0);
    const processes = [...bin.shards].sort((x, y) => x - y).map((s, slot): PlannedProcess => {
      const shard = inv.shards[s] as (typeof inv.shards)[number];
      const demand = demands[s] as Vec;
      for (let d = 0; d < NDIMS; d++) usage[d] = (usage[d] as number) + (demand[d] as number);
      const process: PlannedProcess = {
        shard: shard.name,
        role: masters.hostOf[s] === b ? 'master' : 'replica',
        secondary_ip: (pools[bin.az] as AddressPool).next(name, slot + 1),
        port: p.port,
        server_id: serverId++,
        config_path: `${p.config_dir.replace(/\/+$/, '')}/my-${shard.name}.cnf`,
        buffer_pool_mb: Math.round(shard.buffer_pool_gb * 1024),
        demand: { cpu: shard.peak_cpu, memory_gb: demand[1] as number, disk_gb: shard.data_gb, iops: shard.peak_iops },
      };
      const r = { host: name, ip: process.secondary_ip, port: process.port, server_id: process.server_id, process };
      const t = targets[s] as Partial<ShardTargets>;
      if (process.role === 'master') t.master = r;
      else t.replicas?.push(r);
      return process;
    });
    return {
      name,
      type: packing.type.name,
      az: p.azs[bin.az] as string,
      masters: processes.filter((x) => x.role === 'master').length,
      usage: resources(usage),
      utilisation: vecToRecord(usage.map((u, d) => r3(u / (packing.cap[d] as number)))),
      processes,
    };
  });

  const moves = orderMoves(inv.shards, targets as ShardTargets[], p.seeds_per_host);
  const totals = new Array<number>(NDIMS).fill(0);
  for (const v of demands) for (let d = 0; d < NDIMS; d++) totals[d] = (totals[d] as number) + (v[d] as number) * p.copies;
  const before = inv.current_servers ?? new Set(inv.shards.flatMap((s) => [s.master.host, ...s.replicas.map((r) => r.host)])).size;
  const lb = packing.lowerBound;
  const masterCounts = hosts.map((h) => h.masters);
  const t = packing.type;
  return {
    format: PLAN_FORMAT,
    policy: { copies: p.copies, az_spread: p.az_spread, azs: [...p.azs], headroom: { ...p.headroom }, objective: p.objective, mysqld_overhead_gb: p.mysqld_overhead_gb },
    host_type: {
      name: t.name,
      vcpu: t.vcpu,
      memory_gb: t.memory_gb,
      nvme_gb: t.nvme_gb,
      nvme_iops: t.nvme_iops,
      max_private_ips: t.max_private_ips,
      ...(t.hourly_cost === undefined ? {} : { hourly_cost: t.hourly_cost }),
      usable: resources(packing.cap),
    },
    summary: {
      shards: inv.shards.length,
      copies_per_shard: p.copies,
      processes: inv.shards.length * p.copies,
      hosts_before: before,
      hosts_after: hosts.length,
      saving_pct: r1(100 * (1 - hosts.length / before)),
      host_type: t.name,
      lower_bound: lb.hosts,
      lower_bound_by: { ...lb.by },
      binding: lb.binding,
      gap_pct: r1(100 * (hosts.length / lb.hosts - 1)),
      ...(t.hourly_cost === undefined ? {} : { hourly_cost_after: Math.round(hosts.length * t.hourly_cost * 100) / 100 }),
      utilisation: Object.fromEntries(DIMS.map((dim, d) => [dim, r3((totals[d] as number) / (hosts.length * (packing.cap[d] as number)))])) as Record<Dim, number>,
      masters_per_host: { min: Math.min(...masterCounts), max: Math.max(...masterCounts), cap: masters.hostCap },
      hosts_per_az: Object.fromEntries(p.azs.map((az, a) => [az, perAz[a] as number])),
      masters_per_az: Object.fromEntries(p.azs.map((az) => [az, hosts.filter((h) => h.az === az).reduce((n, h) => n + h.masters, 0)])),
      waves: moves.reduce((m, x) => Math.max(m, x.wave), 0),
    },
    candidates,
    hosts,
    moves,
  };
}
