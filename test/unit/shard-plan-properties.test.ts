import { describe, expect, it } from 'vitest';
import { checkPlan } from '../../src/shard/plan/check-plan.js';
import { validateInventory } from '../../src/shard/plan/inventory-load.js';
import type { InventoryInput } from '../../src/shard/plan/inventory-schema.js';
import { planConsolidation } from '../../src/shard/plan/planner.js';
import { SeededRandom } from '../../src/shard/plan/seeded-random.js';
import type { ShardPlan } from '../../src/shard/plan/plan-types.js';
import { generateInventory } from '../../src/shard/plan/inventory-generator.js';

/**
 * Property tests: random inventories from a seeded RNG (so a failure names its seed and replays),
 * every rule checked on the plan: headroom on every resource, the IP limit, copies on distinct
 * hosts and spread over AZs, one master per shard and masters balanced, unique server_ids and
 * addresses, moves that cover every shard and retire every current server. checkPlan recomputes
 * everything from the inventory; the lower bound is recomputed here once more, by hand.
 */
function randomInventory(seed: number): InventoryInput {
  const rng = new SeededRandom(seed);
  const nAz = rng.int(1, 4);
  const azs = Array.from({ length: nAz }, (_, i) => `xx-test-1${'abcd'[i]}`);
  const copies = rng.int(1, 5);
  const headroom = { cpu: rng.between(0.5, 1), memory: rng.between(0.5, 1), disk: rng.between(0.5, 1), iops: rng.between(0.5, 1) };
  const ipBound = rng.next() < 0.3;
  const types = Array.from({ length: rng.int(1, 3) }, (_, i) => ({
    name: `t${i}.large`,
    vcpu: rng.int(4, 48),
    memory_gb: rng.int(32, 384),
    nvme_gb: rng.int(500, 15_000),
    nvme_iops: rng.int(20_000, 500_000),
    max_private_ips: ipBound ? rng.int(2, 6) : rng.int(8, 60),
    hourly_cost: Math.round(rng.between(0.2, 4) * 1000) / 1000,
  }));
  // Every shard fits the largest type (in each resource) with room to spare.
  const big = (k: 'vcpu' | 'memory_gb' | 'nvme_gb' | 'nvme_iops'): number => Math.max(...types.map((t) => t[k]));
  const room = { cpu: big('vcpu') * headroom.cpu, mem: big('memory_gb') * headroom.memory, disk: big('nvme_gb') * headroom.disk, iops: big('nvme_iops') * headroom.iops };
  const fitting = types.filter((t) => t.vcpu * headroom.cpu >= room.cpu && t.memory_gb * headroom.memory >= room.mem && t.nvme_gb * headroom.disk >= room.disk && t.nvme_iops * headroom.iops >= room.iops);
  if (fitting.length === 0) types.push({ name: 'huge.metal', vcpu: big('vcpu'), memory_gb: big('memory_gb'), nvme_gb: big('nvme_gb'), nvme_iops: big('nvme_iops'), max_private_ips: 60, hourly_cost: 9 });
  const nShards = rng.int(1, 150);
  const frac = (): number => rng.between(0.005, rng.next() < 0.2 ? 0.6 : 0.2);
  let hostNo = 0;
  const current = (): { host: string; az: string } => ({ host: `192.168.${Math.floor(hostNo / 250)}.${1 + (hostNo++ % 250)}`, az: rng.pick(azs) });
  const shards = Array.from({ length: nShards }, (_, i) => ({
    name: `s${i}`,
    master: current(),
    replicas: Array.from({ length: rng.int(0, 3) }, current),
    data_gb: Math.max(1, Math.round(frac() * room.disk)),
    peak_cpu: Math.round(frac() * room.cpu * 10) / 10,
    peak_iops: Math.round(frac() * room.iops),
    buffer_pool_gb: Math.max(1, Math.round(frac() * room.mem) - 1),
  }));
  const withCidrs = rng.next() < 0.5;
  return {
    shards,
    host_types: types,
    policy: {
      copies,
      headroom,
      azs,
      az_spread: copies <= nAz && rng.next() < 0.4 ? 'strict' : 'balanced',
      objective: rng.next() < 0.5 ? 'hosts' : 'cost',
      mysqld_overhead_gb: rng.pick([0, 0.5, 1]),
      seeds_per_host: rng.int(1, 3),
      base_server_id: rng.int(1, 100_000),
      ...(withCidrs ? { private_cidrs: Object.fromEntries(azs.map((az, i) => [az, `10.${i}.0.0/21`])) } : {}),
    },
  };
}

/** max over resources of ceil(total demand / usable per host), total copies / mysqld per host, and copies. */
function handLowerBound(doc: InventoryInput, typeName: string): number {
  const inv = validateInventory(doc);
  const t = inv.host_types.find((x) => x.name === typeName);
  if (!t) throw new Error(typeName);
  const h = inv.policy.headroom;
  const c = inv.policy.copies;
  const sum = (f: (s: (typeof inv.shards)[number]) => number): number => inv.shards.reduce((n, s) => n + f(s) * c, 0);
  return Math.max(
    c,
    Math.ceil(sum((s) => s.peak_cpu) / (t.vcpu * h.cpu) - 1e-9),
    Math.ceil(sum((s) => s.buffer_pool_gb + inv.policy.mysqld_overhead_gb) / (t.memory_gb * h.memory) - 1e-9),
    Math.ceil(sum((s) => s.data_gb) / (t.nvme_gb * h.disk) - 1e-9),
    Math.ceil(sum((s) => s.peak_iops) / (t.nvme_iops * h.iops) - 1e-9),
    Math.ceil((inv.shards.length * c) / (t.max_private_ips - 1)),
  );
}

/** Masters that could move to another copy of their shard and make the hosts or AZs more even, the other no less. */
function improvableMasters(plan: ShardPlan): string[] {
  const perHost = new Map(plan.hosts.map((h) => [h.name, h.masters]));
  const perAz = new Map(Object.entries(plan.summary.masters_per_az));
  const copies = new Map<string, { host: string; az: string; master: boolean }[]>();
  for (const h of plan.hosts) for (const p of h.processes) copies.set(p.shard, [...(copies.get(p.shard) ?? []), { host: h.name, az: h.az, master: p.role === 'master' }]);
  const out: string[] = [];
  for (const [shard, cs] of copies) {
    const m = cs.find((c) => c.master);
    if (!m) continue;
    for (const c of cs) {
      if (c === m) continue;
      const dHost = (perHost.get(c.host) as number) + 1 - (perHost.get(m.host) as number);
      const dAz = c.az === m.az ? 0 : (perAz.get(c.az) as number) + 1 - (perAz.get(m.az) as number);
      if (dHost <= 0 && dAz <= 0 && dHost + dAz < 0) out.push(`${shard}: ${m.host} -> ${c.host}`);
    }
  }
  return out;
}

const SEEDS = Array.from({ length: 150 }, (_, i) => 1000 + i);

describe('shard plan on random inventories', () => {
  it.each(SEEDS)('seed %i: every rule holds and the lower bound is valid', (seed) => {
    const doc = randomInventory(seed);
    const inv = validateInventory(doc);
    const plan = planConsolidation(inv);
    expect(checkPlan(inv, plan)).toEqual([]);

    const s = plan.summary;
    expect(s.lower_bound).toBe(handLowerBound(doc, plan.host_type.name));
    expect(s.lower_bound).toBeLessThanOrEqual(s.hosts_after);
    expect(plan.hosts.reduce((n, h) => n + h.processes.length, 0)).toBe(inv.shards.length * inv.policy.copies);
    for (const h of plan.hosts) expect(h.processes.length).toBeLessThanOrEqual(plan.host_type.max_private_ips - 1);

    // Masters: no host runs more than the larger of the even share and its own share (its copies / copies per shard),
    // and no master can move to another copy of its shard to even out the AZs or the hosts without unevening the other.
    const share = Math.max(Math.ceil(inv.shards.length / s.hosts_after), ...plan.hosts.map((h) => Math.ceil(h.processes.length / inv.policy.copies)));
    expect(s.masters_per_host.max).toBeLessThanOrEqual(share);
    expect(Object.values(s.masters_per_az).reduce((a, b) => a + b, 0)).toBe(inv.shards.length);
    expect(improvableMasters(plan)).toEqual([]);

    // server_ids are consecutive from the base, and every address is distinct.
    const ids = plan.hosts.flatMap((h) => h.processes.map((p) => p.server_id)).sort((a, b) => a - b);
    expect(ids).toEqual(ids.map((_, i) => inv.policy.base_server_id + i));
    const ips = plan.hosts.flatMap((h) => h.processes.map((p) => p.secondary_ip));
    expect(new Set(ips).size).toBe(ips.length);
  });

  it.each(SEEDS.slice(0, 10))('seed %i: the same inventory gives the same plan, byte for byte', (seed) => {
    const doc = randomInventory(seed);
    expect(JSON.stringify(planConsolidation(validateInventory(doc)))).toBe(JSON.stringify(planConsolidation(validateInventory(structuredClone(doc)))));
  });

  it.each([11, 12, 13])('a realistic fleet (300 shards, seed %i): masters within the even share per host, and within one of each other per AZ', (seed) => {
    const inv = validateInventory(generateInventory({ shards: 300, seed }));
    const plan = planConsolidation(inv);
    expect(checkPlan(inv, plan)).toEqual([]);
    expect(plan.summary.masters_per_host.max).toBeLessThanOrEqual(Math.ceil(300 / plan.summary.hosts_after));
    const perAz = Object.values(plan.summary.masters_per_az);
    expect(Math.max(...perAz) - Math.min(...perAz)).toBeLessThanOrEqual(1);
    expect(plan.summary.hosts_after / plan.summary.lower_bound).toBeLessThanOrEqual(1.05);
  });

  it('checkPlan catches a broken plan (an overfull host, a lost master, a duplicate address)', () => {
    const inv = validateInventory(randomInventory(7));
    const plan = structuredClone(planConsolidation(inv));
    const host = plan.hosts[0];
    const other = plan.hosts[1];
    if (!host || !other) throw new Error('seed 7 should need two hosts');
    const proc = host.processes[0];
    if (!proc) throw new Error('empty host');
    proc.role = proc.role === 'master' ? 'replica' : 'master';
    (other.processes[0] as typeof proc).secondary_ip = proc.secondary_ip;
    host.processes.push(...other.processes.map((p) => ({ ...p })));
    const bad = checkPlan(inv, plan).join('\n');
    expect(bad).toMatch(/masters/);
    expect(bad).toMatch(/used twice/);
    expect(bad).toMatch(/two copies on one host|over the usable/);
  });
});
