import { describe, expect, it } from 'vitest';
import { checkPlan } from '../../src/shard/plan/check-plan.js';
import { validateInventory } from '../../src/shard/plan/inventory-load.js';
import type { InventoryInput } from '../../src/shard/plan/inventory-schema.js';
import { PlanInfeasibleError } from '../../src/shard/plan/plan-errors.js';
import type { ShardPlan } from '../../src/shard/plan/plan-types.js';
import { planConsolidation } from '../../src/shard/plan/planner.js';

/**
 * Small inventories where the best plan is known by hand, the refusals, the host-type choice and
 * the order of moves. Hosts here have round capacities and no headroom unless a case says so.
 */
const AZ = 'xx-test-1a';
const TYPE = { name: 'h.test', vcpu: 10, memory_gb: 100, nvme_gb: 1000, nvme_iops: 10_000, max_private_ips: 11, hourly_cost: 1 };
const FULL = { cpu: 1, memory: 1, disk: 1, iops: 1 };
type ShardIn = InventoryInput['shards'][number];

let hostNo = 0;
function shard(name: string, need: { cpu?: number; mem?: number; disk?: number; iops?: number } = {}, replicas = 1): ShardIn {
  const at = (): { host: string; az: string } => ({ host: `old-${++hostNo}`, az: AZ });
  return { name, master: at(), replicas: Array.from({ length: replicas }, at), data_gb: need.disk ?? 1, peak_cpu: need.cpu ?? 0.1, peak_iops: need.iops ?? 10, buffer_pool_gb: need.mem ?? 1 };
}

function plan(shards: ShardIn[], policy: Partial<InventoryInput['policy']> = {}, types: InventoryInput['host_types'] = [TYPE]): ShardPlan {
  const inv = validateInventory({ shards, host_types: types, policy: { azs: [AZ], copies: 2, headroom: FULL, mysqld_overhead_gb: 0, ...policy } });
  const p = planConsolidation(inv);
  expect(checkPlan(inv, p)).toEqual([]);
  return p;
}

function infeasible(f: () => unknown): PlanInfeasibleError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PlanInfeasibleError);
    expect((e as PlanInfeasibleError).cliExitCode).toBe(1);
    return e as PlanInfeasibleError;
  }
  throw new Error('expected the inventory to be refused');
}

const shardsOn = (p: ShardPlan): string[][] => p.hosts.map((h) => h.processes.map((x) => x.shard));

describe('shard plan: cases with a known optimum', () => {
  it.each<[string, () => ShardPlan, number, string]>([
    ['memory: 3 shards x 2 copies of half a host', () => plan(['a', 'b', 'c'].map((n) => shard(n, { mem: 50 }))), 3, 'memory'],
    ['cpu: 4 shards x 2 copies of a third of a host', () => plan(['a', 'b', 'c', 'd'].map((n) => shard(n, { cpu: 10 / 3 }))), 3, 'cpu'],
    ['disk: 5 shards x 2 copies of 500 GB', () => plan(['a', 'b', 'c', 'd', 'e'].map((n) => shard(n, { disk: 500 }))), 5, 'disk'],
    ['iops: 6 shards x 2 copies of 5,000 IOPS', () => plan(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => shard(n, { iops: 5000 }))), 6, 'iops'],
    ['private IPs: 2 mysqld per host (3 addresses, one the host\'s own)', () => plan(['a', 'b', 'c', 'd', 'e'].map((n) => shard(n)), {}, [{ ...TYPE, max_private_ips: 3 }]), 5, 'ips'],
    ['copies: one tiny shard with 4 copies needs 4 hosts', () => plan([shard('a')], { copies: 4 }), 4, 'copies'],
    ['headroom: 40 GB pools on 100 GB hosts at 0.8 fit two a host', () => plan(['a', 'b', 'c'].map((n) => shard(n, { mem: 40 })), { headroom: { ...FULL, memory: 0.8 } }), 3, 'memory'],
  ])('%s', (_what, run, hosts, binding) => {
    const p = run();
    expect(p.summary.hosts_after).toBe(hosts);
    expect(p.summary.lower_bound).toBe(hosts);
    expect(p.summary.binding).toBe(binding);
    expect(p.summary.gap_pct).toBe(0);
  });

  it('keeps the bound a bound when it is not tight: 400 GB copies pair up, 4,000 GB over 1,000 GB hosts says 4, the plan needs 5', () => {
    const p = plan(['a', 'b', 'c', 'd', 'e'].map((n) => shard(n, { disk: 400 })));
    expect([p.summary.lower_bound, p.summary.hosts_after]).toEqual([4, 5]);
  });

  it('mixes memory-heavy and disk-heavy shards on one host (4 hosts, not 8)', () => {
    const mem = ['m1', 'm2', 'm3', 'm4'].map((n) => shard(n, { mem: 70, disk: 200 }));
    const disk = ['d1', 'd2', 'd3', 'd4'].map((n) => shard(n, { mem: 20, disk: 700 }));
    const p = plan([...mem, ...disk], { copies: 1 });
    expect(p.summary.hosts_after).toBe(4);
    for (const names of shardsOn(p)) expect(names.map((n) => n[0]).sort()).toEqual(['d', 'm']);
  });

  it('counts the per-mysqld overhead: 49 GB pools pair up with 1 GB overhead, not with 2 GB', () => {
    const shards = (): ShardIn[] => ['a', 'b'].map((n) => shard(n, { mem: 49 }));
    expect(plan(shards(), { mysqld_overhead_gb: 1 }).summary.hosts_after).toBe(2);
    expect(plan(shards(), { mysqld_overhead_gb: 2 }).summary.hosts_after).toBe(4);
  });

  it('spreads 4 copies over 3 AZs as 2 + 1 + 1, and over 4 AZs one each when strict', () => {
    const azs3 = ['xx-test-1a', 'xx-test-1b', 'xx-test-1c'];
    const p3 = plan([shard('a')], { copies: 4, azs: azs3 });
    expect(Object.values(p3.summary.hosts_per_az).sort()).toEqual([1, 1, 2]);
    const p4 = plan([shard('a')], { copies: 4, azs: [...azs3, 'xx-test-1d'], az_spread: 'strict' });
    expect(p4.hosts.map((h) => h.az).sort()).toEqual([...azs3, 'xx-test-1d']);
  });

  it('spreads masters: 6 shards x 2 copies on 6 hosts, one master each', () => {
    const p = plan(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => shard(n, { mem: 50 })));
    expect(p.summary.hosts_after).toBe(6);
    expect(p.hosts.map((h) => h.masters)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('shard plan: host type choice', () => {
  // 4 shards x 2 copies of 25 GB: the small type holds 2 a host (4 hosts, 4.00/h), the big one 4 (2 hosts, 6.00/h).
  const small = { ...TYPE, name: 'small', memory_gb: 50, hourly_cost: 1 };
  const big = { ...TYPE, name: 'big', memory_gb: 100, hourly_cost: 3 };
  const four = (): ShardIn[] => ['a', 'b', 'c', 'd'].map((n) => shard(n, { mem: 25 }));

  it('objective hosts takes the fewest hosts', () => {
    const p = plan(four(), { objective: 'hosts' }, [small, big]);
    expect([p.host_type.name, p.summary.hosts_after]).toEqual(['big', 2]);
    expect(p.candidates.map((c) => [c.host_type, c.status])).toEqual([['small', 'skipped'], ['big', 'chosen']]);
  });

  it('objective cost takes the lowest hourly cost', () => {
    const p = plan(four(), { objective: 'cost' }, [small, big]);
    expect([p.host_type.name, p.summary.hosts_after, p.summary.hourly_cost_after]).toEqual(['small', 4, 4]);
  });

  it('policy.host_type pins the type', () => {
    expect(plan(four(), { host_type: 'small' }, [small, big]).host_type.name).toBe('small');
  });

  it('a type too small for one shard is listed with the reason, and the others still compete', () => {
    const p = plan([...four(), shard('huge', { mem: 80 })], {}, [small, big]);
    expect(p.host_type.name).toBe('big');
    expect(p.candidates[0]).toMatchObject({ host_type: 'small', status: 'too_small', reason: 'huge: memory 80 GB > 50 GB usable' });
  });
});

describe('shard plan: refusals name the shard and the reason', () => {
  it('a shard larger than every host type', () => {
    const e = infeasible(() => plan([shard('ok'), shard('whale', { disk: 1500, mem: 120 })]));
    expect(e.code).toBe('PLAN_INFEASIBLE');
    expect(e.message).toContain('whale fits no host type (h.test: memory 120 GB > 100 GB usable, disk 1500 GB > 1000 GB usable)');
    expect(e.message).not.toContain('ok fits');
  });

  it('headroom that leaves too little room', () => {
    const e = infeasible(() => plan([shard('busy', { cpu: 8 })], { headroom: { ...FULL, cpu: 0.7 } }));
    expect(e.message).toContain('busy fits no host type (h.test: cpu 8 vCPU > 7 vCPU usable)');
  });

  it('a pinned host type too small for a shard', () => {
    const e = infeasible(() => plan([shard('mid', { mem: 60 })], { host_type: 'small' }, [{ ...TYPE, name: 'small', memory_gb: 50 }, TYPE]));
    expect(e.message).toContain('mid fits no host type (small: memory 60 GB > 50 GB usable)');
    expect(e.next).toContain('policy.host_type');
  });

  it('a strict spread with more copies than AZs', () => {
    const e = infeasible(() => plan([shard('a')], { copies: 4, azs: ['xx-test-1a', 'xx-test-1b', 'xx-test-1c'], az_spread: 'strict' }));
    expect(e.message).toContain('each of the 4 copies of a shard needs its own AZ, but policy.azs lists only 3');
  });

  it('an address range too small for the processes in its AZ', () => {
    // A /28 has 16 addresses; AWS keeps 5, so 11 are free: 12 copies do not fit.
    const shards = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => shard(n));
    const e = infeasible(() => plan(shards, { private_cidrs: { [AZ]: '10.0.0.0/28' } }));
    expect(e.message).toContain(`policy.private_cidrs.${AZ} (10.0.0.0/28) has 11 free addresses, but the plan puts 12 mysqld in ${AZ}`);
  });

  it('lists at most five shards, then how many more', () => {
    const e = infeasible(() => plan(Array.from({ length: 8 }, (_, i) => shard(`big${i}`, { mem: 200 }))));
    expect(e.message).toContain('8 shard(s) are larger');
    expect(e.message).toContain('... and 3 more');
  });
});

describe('shard plan: addresses, ids and the order of moves', () => {
  it('takes addresses from the AZ range past the 4 AWS keeps, skipping current servers', () => {
    const a = shard('a');
    a.master.host = '10.0.0.4';
    const p = plan([a, shard('b')], { private_cidrs: { [AZ]: '10.0.0.0/24' }, base_server_id: 500 });
    const procs = p.hosts.flatMap((h) => h.processes);
    expect(procs.map((x) => x.secondary_ip).sort()).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8']);
    expect(procs.map((x) => x.server_id).sort()).toEqual([500, 501, 502, 503]);
    expect(procs.map((x) => x.config_path)).toContain('/etc/my-a.cnf');
  });

  it('without a range, leaves placeholders for EC2 to fill', () => {
    const p = plan([shard('a')]);
    expect(p.hosts.map((h) => h.processes[0]?.secondary_ip)).toEqual(['auto:db-1a-001/1', 'auto:db-1a-002/1']);
  });

  it('runs provision, seed, catch up, verify, switchover and retire, seeding from a current replica', () => {
    const p = plan([shard('a', {}, 3)], { copies: 4 });
    const m = p.moves[0];
    expect(m?.steps.map((s) => s.step)).toEqual(['provision', 'seed', 'catch_up', 'verify', 'switchover', 'retire']);
    expect(m?.from.replicas).toHaveLength(3);
    expect(m?.steps[1]).toEqual({ step: 'seed', source: m?.from.replicas[0], targets: expect.any(Array) });
    const retire = m?.steps[5];
    expect(retire?.step === 'retire' && retire.hosts.sort()).toEqual([m?.from.master, ...(m?.from.replicas ?? [])].sort());
  });

  it('retires a server shared by two shards only after the second one moves', () => {
    const a = shard('a');
    const b = shard('b');
    (b.replicas as { host: string }[])[0] = { ...(b.replicas as { host: string; az: string }[])[0]!, host: a.master.host };
    const p = plan([a, b], { copies: 2 });
    const retiredAt = (host: string): number | undefined => p.moves.find((m) => m.steps.some((s) => s.step === 'retire' && s.hosts.includes(host)))?.order;
    expect(retiredAt(a.master.host)).toBe(2);
    expect(p.moves.map((m) => m.shard)).toEqual(['a', 'b']);
  });

  it('puts moves that share a target host in different waves (seeds_per_host 1), and together when allowed', () => {
    const shards = (): ShardIn[] => ['a', 'b', 'c'].map((n) => shard(n));
    const one = plan(shards(), { seeds_per_host: 1 });
    expect(one.summary.hosts_after).toBe(2);
    expect(one.moves.map((m) => m.wave)).toEqual([1, 2, 3]);
    const three = plan(shards(), { seeds_per_host: 3 });
    expect(three.moves.map((m) => m.wave)).toEqual([1, 1, 1]);
  });

  it('gives the same plan for the same inventory', () => {
    const shards = Array.from({ length: 40 }, (_, i) => shard(`s${i}`, { mem: 5 + (i % 7) * 3, disk: 50 + (i % 5) * 90, cpu: 0.2 + (i % 3) }));
    expect(JSON.stringify(plan(shards, { copies: 4, azs: ['xx-test-1a', 'xx-test-1b', 'xx-test-1c'] }))).toBe(
      JSON.stringify(plan(structuredClone(shards), { copies: 4, azs: ['xx-test-1a', 'xx-test-1b', 'xx-test-1c'] })),
    );
  });
});
