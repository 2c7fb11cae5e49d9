import { toInt } from './addresses.js';
import { azBounds } from './az-spread.js';
import { copyDemand, DIMS, EPS, usableCapacity } from './demand.js';
import type { Inventory, ShardSpec } from './inventory-schema.js';
import type { ShardPlan } from './plan-types.js';

/**
 * Checks a plan against its inventory, independently of how the planner built it: every rule the
 * plan must keep, recomputed from the inventory. Returns the violations (empty when the plan is
 * good). `shard apply` can run it on a plan file before acting on it; the tests run it on every
 * generated plan.
 */
export function checkPlan(inv: Inventory, plan: ShardPlan): string[] {
  const bad: string[] = [];
  const p = inv.policy;
  const type = inv.host_types.find((t) => t.name === plan.host_type.name);
  if (!type) return [`host type ${plan.host_type.name} is not in the inventory`];
  const cap = usableCapacity(type, p);
  const shards = new Map(inv.shards.map((s) => [s.name, s]));
  const ids = new Set<number>();
  const ips = new Set<string>();
  const placed = new Map<string, { host: string; az: string; role: string; ip: string; server_id: number }[]>();

  for (const host of plan.hosts) {
    if (host.type !== type.name) bad.push(`${host.name}: type ${host.type}, plan says ${type.name}`);
    if (!p.azs.includes(host.az)) bad.push(`${host.name}: AZ ${host.az} is not in policy.azs`);
    const load = [0, 0, 0, 0, 0];
    for (const proc of host.processes) {
      const shard = shards.get(proc.shard);
      if (!shard) {
        bad.push(`${host.name}: unknown shard ${proc.shard}`);
        continue;
      }
      copyDemand(shard, p).forEach((x, d) => (load[d] = (load[d] as number) + x));
      if (ids.has(proc.server_id)) bad.push(`${host.name}/${proc.shard}: server_id ${proc.server_id} is used twice`);
      if (ips.has(proc.secondary_ip)) bad.push(`${host.name}/${proc.shard}: address ${proc.secondary_ip} is used twice`);
      ids.add(proc.server_id);
      ips.add(proc.secondary_ip);
      if (proc.server_id < 1 || proc.server_id > 4_294_967_295) bad.push(`${host.name}/${proc.shard}: server_id ${proc.server_id} out of range`);
      if (proc.port !== p.port) bad.push(`${host.name}/${proc.shard}: port ${proc.port}, policy says ${p.port}`);
      if (!proc.config_path.endsWith(`/my-${shard.name}.cnf`)) bad.push(`${host.name}/${proc.shard}: config path ${proc.config_path}`);
      if (proc.buffer_pool_mb !== Math.round(shard.buffer_pool_gb * 1024)) bad.push(`${host.name}/${proc.shard}: buffer pool ${proc.buffer_pool_mb} MB`);
      const cidr = p.private_cidrs?.[host.az];
      if (cidr !== undefined && !inSubnet(proc.secondary_ip, cidr)) bad.push(`${host.name}/${proc.shard}: ${proc.secondary_ip} is not a usable address of ${cidr}`);
      placed.set(proc.shard, [...(placed.get(proc.shard) ?? []), { host: host.name, az: host.az, role: proc.role, ip: proc.secondary_ip, server_id: proc.server_id }]);
    }
    DIMS.forEach((dim, d) => {
      if ((load[d] as number) > (cap[d] as number) * (1 + EPS) + EPS) bad.push(`${host.name}: ${dim} ${load[d]} is over the usable ${cap[d]}`);
    });
    if (host.masters !== host.processes.filter((x) => x.role === 'master').length) bad.push(`${host.name}: masters count is wrong`);
    if (host.masters > plan.summary.masters_per_host.cap) bad.push(`${host.name}: ${host.masters} masters, over the cap ${plan.summary.masters_per_host.cap}`);
  }

  const { min, max } = azBounds(p.copies, p.azs.length);
  for (const shard of inv.shards) {
    const copies = placed.get(shard.name) ?? [];
    if (copies.length !== p.copies) bad.push(`${shard.name}: ${copies.length} copies, policy says ${p.copies}`);
    if (new Set(copies.map((c) => c.host)).size !== copies.length) bad.push(`${shard.name}: two copies on one host`);
    const masters = copies.filter((c) => c.role === 'master').length;
    if (masters !== 1) bad.push(`${shard.name}: ${masters} masters`);
    for (const az of p.azs) {
      const n = copies.filter((c) => c.az === az).length;
      if (copies.length === p.copies && (n < min || n > max)) bad.push(`${shard.name}: ${n} copies in ${az}, the spread allows ${min}-${max}`);
    }
  }

  bad.push(...checkMoves(inv, plan, placed));
  if (plan.summary.hosts_after !== plan.hosts.length) bad.push(`summary.hosts_after ${plan.summary.hosts_after} but ${plan.hosts.length} hosts`);
  if (plan.summary.lower_bound > plan.hosts.length) bad.push(`lower bound ${plan.summary.lower_bound} is above the plan's ${plan.hosts.length} hosts`);
  return bad;
}

function checkMoves(inv: Inventory, plan: ShardPlan, placed: Map<string, { host: string; role: string; ip: string; server_id: number }[]>): string[] {
  const bad: string[] = [];
  const moved = new Map<string, number>();
  const perWave = new Map<string, number>();
  let lastWave = 0;
  plan.moves.forEach((m, i) => {
    if (m.order !== i + 1) bad.push(`move ${i + 1} has order ${m.order}`);
    if (m.wave < lastWave) bad.push(`move ${m.order}: wave ${m.wave} after wave ${lastWave}`);
    lastWave = m.wave;
    if (moved.has(m.shard)) bad.push(`${m.shard} moves twice`);
    moved.set(m.shard, m.order);
    const copies = placed.get(m.shard) ?? [];
    const master = copies.find((c) => c.role === 'master');
    const sw = m.steps.find((s) => s.step === 'switchover');
    if (!master || !sw || sw.step !== 'switchover' || sw.to.ip !== master.ip || sw.to.host !== master.host) bad.push(`${m.shard}: the switchover does not go to the planned master`);
    const prov = m.steps.find((s) => s.step === 'provision');
    const provIps = prov && prov.step === 'provision' ? prov.processes.map((x) => x.ip).sort() : [];
    if (provIps.join() !== copies.map((c) => c.ip).sort().join()) bad.push(`${m.shard}: provision does not match the planned processes`);
    const seed = m.steps.find((s) => s.step === 'seed');
    for (const h of [...copies.map((c) => c.host), ...(seed && seed.step === 'seed' ? [`current:${seed.source}`] : [])]) {
      const k = `${m.wave}|${h}`;
      perWave.set(k, (perWave.get(k) ?? 0) + 1);
      if ((perWave.get(k) as number) > inv.policy.seeds_per_host) bad.push(`wave ${m.wave}: ${h} takes part in more than ${inv.policy.seeds_per_host} moves`);
    }
  });
  for (const s of inv.shards) if (!moved.has(s.name)) bad.push(`${s.name} never moves`);
  const retired = new Map<string, number>();
  for (const m of plan.moves) for (const s of m.steps) if (s.step === 'retire') for (const h of s.hosts) retired.set(h, m.order);
  const currentOf = (s: ShardSpec): string[] => [s.master.host, ...s.replicas.map((r) => r.host)];
  for (const s of inv.shards) {
    for (const h of currentOf(s)) {
      const at = retired.get(h);
      if (at === undefined) bad.push(`${h} (${s.name}) is never retired`);
      else if (at < (moved.get(s.name) ?? Infinity)) bad.push(`${h} is retired before ${s.name} moves off it`);
    }
  }
  return bad;
}

function inSubnet(ip: string, cidr: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return false;
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const network = toInt(base) - (toInt(base) % size);
  const n = toInt(ip);
  return n >= network + 4 && n <= network + size - 2;
}
