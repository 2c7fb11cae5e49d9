import { describe, expect, it } from 'vitest';
import { checkTag } from '../../src/aws/secondary-ip-provider.js';
import { fleetConfigSchema, type FleetConfig } from '../../src/core/config-schema.js';
import { ConfigError, UsageError } from '../../src/core/errors.js';
import type { JournalEntry } from '../../src/core/phases/journal.js';
import type { NameState } from '../../src/dns/record-types.js';
import { ipTagFor, resolveMoves } from '../../src/shard/apply/apply-moves.js';
import { interruptedPhases } from '../../src/shard/apply/apply-plan.js';
import { progressLine } from '../../src/shard/apply/catch-up-progress.js';
import { readerChanges } from '../../src/shard/apply/phase-readers.js';
import { retireStatus } from '../../src/shard/apply/retire-plan.js';
import { validateInventory } from '../../src/shard/plan/inventory-load.js';
import type { ShardPlan } from '../../src/shard/plan/plan-types.js';
import { planConsolidation } from '../../src/shard/plan/planner.js';
import { isOwnDeadHolder } from '../../src/shard/switchover/recover-switchover.js';
import { acquireRunLock } from '../../src/core/phases/run-lock.js';
import { journalProgress } from '../../src/core/phases/phase-runner.js';
import { makeTempDir } from '../support/temp-dir.js';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

// The pure parts of `shard apply`: joining a plan with the fleet config, the reader-record change,
// which old servers may retire, catch-up progress, and reading a journal after a crash.

const AZS = ['xx-test-1a', 'xx-test-1b'];
function makePlan(privateCidrs = true): ShardPlan {
  const shards = ['s1', 's2', 's3'].map((name, i) => ({
    name,
    master: { host: `10.0.${i}.1`, az: AZS[0] as string },
    replicas: [{ host: `10.0.${i}.2`, az: AZS[1] as string }],
    data_gb: 10,
    peak_cpu: 0.5,
    peak_iops: 100,
    buffer_pool_gb: 1,
  }));
  return planConsolidation(
    validateInventory({
      shards,
      host_types: [{ name: 'h', vcpu: 8, memory_gb: 32, nvme_gb: 500, nvme_iops: 10_000, max_private_ips: 8 }],
      policy: { azs: AZS, copies: 2, ...(privateCidrs ? { private_cidrs: { 'xx-test-1a': '10.1.0.0/24', 'xx-test-1b': '10.1.1.0/24' } } : {}) },
    }),
  );
}

function makeConfig(plan: ShardPlan, o: { dropHost?: string; dropCluster?: string; noSection?: boolean; clusterEngine?: string; engine?: string; hostEngine?: string } = {}): FleetConfig {
  return fleetConfigSchema.parse({
    dns: { dsn: 'mysql://dbfleet@127.0.0.1:3306/mydns', zone: 'db.test.' },
    replication: { user: 'repl', password_file: '/x/repl.password' },
    clusters: plan.moves
      .filter((m) => m.shard !== o.dropCluster)
      .map((m) => ({
        name: m.shard,
        engine: o.clusterEngine ?? 'mariadb',
        writer_record: `${m.shard}-w`,
        reader_record: `${m.shard}-r`,
        instances: [m.from.master, ...m.from.replicas].map((h, i) => ({ id: `${m.shard}-${i}`, host: h })),
      })),
    ...(o.noSection
      ? {}
      : {
          consolidation: {
            ...(o.engine !== undefined ? { engine: o.engine } : {}),
            hosts: plan.hosts
              .filter((h) => h.name !== o.dropHost)
              .map((h, i) => ({ name: h.name, base_dir: '/srv/mysqld', config_dir: '/srv/etc', ssh: { host: '10.9.9.9', user: 'ops', identity_file: '/k', known_hosts: '/kh' }, ...(i === 0 && o.hostEngine !== undefined ? { engine: o.hostEngine } : {}) })),
            ip_provider: { kind: 'loopback', pool: '127.5.5.0/24', allocation_file: '/tmp/a.json' },
          },
        }),
  });
}

describe('resolveMoves: a plan joined with the fleet config', () => {
  it('gives every move its current servers, its new processes (master first) and the servers it frees', () => {
    const plan = makePlan();
    const moves = resolveMoves(plan, makeConfig(plan));
    expect(moves.map((m) => m.shard)).toEqual(plan.moves.map((m) => m.shard));
    for (const [i, m] of moves.entries()) {
      const p = plan.moves[i]!;
      expect(m.master).toEqual({ id: `${m.shard}-0`, host: p.from.master, port: 3306 });
      expect(m.seedSource.host).toBe(p.from.replicas[0]);
      expect(m.targets[0]).toMatchObject({ role: 'master', plannedIp: p.to.master.ip, serverId: p.to.master.server_id, configPath: `/srv/etc/my-${m.shard}.cnf` });
      expect(m.targets.slice(1).map((t) => t.role)).toEqual(['replica']);
      expect(m.retire.map((r) => r.host).sort()).toEqual([p.from.master, ...p.from.replicas].sort());
    }
  });

  it('leaves the address to the provider when the plan has a placeholder', () => {
    const plan = makePlan(false);
    const moves = resolveMoves(plan, makeConfig(plan));
    expect(plan.moves[0]!.to.master.ip).toMatch(/^auto:/);
    expect(moves[0]!.targets.every((t) => t.plannedIp === undefined)).toBe(true);
  });

  it.each([
    ['a plan host the config cannot reach', { dropHost: 'FIRST' }, 'is not under consolidation.hosts'],
    ['a shard that is not a cluster', { dropCluster: 's2' }, 'shard s2: no cluster of that name'],
  ] as [string, { dropHost?: string; dropCluster?: string }, string][])('refuses %s, naming it (exit 2)', (_what, o, message) => {
    const plan = makePlan();
    const opts = o.dropHost === 'FIRST' ? { dropHost: plan.hosts[0]!.name } : o;
    expect(() => resolveMoves(plan, makeConfig(plan, opts))).toThrow(UsageError);
    expect(() => resolveMoves(plan, makeConfig(plan, opts))).toThrow(message);
  });

  it('moves MySQL shards onto hosts that run MySQL, and refuses a shard onto another engine, naming the field (exit 2)', () => {
    const plan = makePlan();
    expect(resolveMoves(plan, makeConfig(plan, { clusterEngine: 'mysql', engine: 'mysql' }))).toHaveLength(plan.moves.length);
    expect(() => resolveMoves(plan, makeConfig(plan, { clusterEngine: 'mysql' }))).toThrow(/its cluster runs mysql, but plan host \S+ runs mariadb \(consolidation\.engine\): a shard moves onto the engine it runs/);
    const first = plan.hosts[0]!.name;
    expect(() => resolveMoves(plan, makeConfig(plan, { hostEngine: 'mysql' }))).toThrow(new RegExp(`its cluster runs mariadb, but plan host ${first} runs mysql \\(consolidation\\.hosts\\[0\\]\\.engine\\)`));
    expect(() => resolveMoves(plan, makeConfig(plan, { clusterEngine: 'mysql' }))).toThrow(UsageError);
  });

  it('refuses a shard without a current replica (seeding would lock its master), with exit 2', () => {
    const plan = makePlan();
    const lonely = structuredClone(plan);
    lonely.moves[1]!.from.replicas = [];
    expect(() => resolveMoves(lonely, makeConfig(plan))).toThrow(`shard ${plan.moves[1]!.shard}: has no current replica`);
    try {
      resolveMoves(lonely, makeConfig(plan));
    } catch (e) {
      expect((e as UsageError).cliExitCode).toBe(2);
    }
  });

  it('refuses a current master that is not an instance of the cluster, and a config without the section', () => {
    const plan = makePlan();
    const moved = structuredClone(plan);
    moved.moves[0]!.from.master = '10.99.0.1';
    expect(() => resolveMoves(moved, makeConfig(plan))).toThrow(`current master 10.99.0.1 is not an instance`);
    expect(() => resolveMoves(plan, makeConfig(plan, { noSection: true }))).toThrow(ConfigError);
    expect(() => resolveMoves({ ...plan, format: 'other' as ShardPlan['format'] }, makeConfig(plan))).toThrow('format');
  });
});

describe('ipTagFor', () => {
  it.each([1, 10_000, 4_294_967_295])('server_id %i gives a tag short enough for an eth0 label', (id) => {
    expect(checkTag(ipTagFor(id), 'eth0')).toBe(ipTagFor(id));
  });
  it('differs per server_id', () => expect(ipTagFor(10_000)).not.toBe(ipTagFor(10_001)));
});

describe('readerChanges', () => {
  const state = (rows: [string, number][]): NameState => ({ name: 's-r', role: 'reader', records: rows.map(([address, weight]) => ({ address, weight, ttl: 1, active: true, id: 1 })) as NameState['records'] });
  it.each([
    ['adds the new replica and drains the old ones', [['10.0.0.1', 0], ['10.0.0.2', 100]], [{ op: 'add-address', address: '10.1.0.5', weight: 100 }, { op: 'set-weight', address: '10.0.0.2', weight: 0 }]],
    ['re-weights a new replica already listed', [['10.1.0.5', 0], ['10.0.0.2', 0]], [{ op: 'set-weight', address: '10.1.0.5', weight: 100 }]],
    ['is empty once done', [['10.1.0.5', 100], ['10.0.0.1', 0], ['10.0.0.2', 0]], []],
  ] as const)('%s', (_what, rows, expected) => {
    const ops = readerChanges(state(rows as unknown as [string, number][]), ['10.1.0.5'], ['10.0.0.1', '10.0.0.2'], 100);
    expect(ops).toMatchObject(expected);
    expect(ops).toHaveLength(expected.length);
  });
});

describe('retireStatus', () => {
  const plan = makePlan();
  const moves = resolveMoves(plan, makeConfig(plan));
  const done = (shard: string, at: string): JournalEntry => ({ phase: `${shard}/switchover`, event: 'done', at });
  it('never retires a server whose shard is not switched over, and waits out the observation period', () => {
    const entries = [done('s1', '2026-01-01T00:00:00Z'), done('s2', '2026-01-01T01:00:00Z')];
    const now = new Date('2026-01-01T01:30:00Z');
    const byShard = (s: string): string[] => retireStatus(moves, entries, now, 60).filter((x) => x.candidate.shards.includes(s)).map((x) => x.status);
    expect(byShard('s1')).toEqual(['ready', 'ready']);
    expect(byShard('s2')).toEqual(['observing', 'observing']);
    expect(byShard('s3')).toEqual(['not-switched', 'not-switched']);
    const observing = retireStatus(moves, entries, now, 60).find((x) => x.status === 'observing');
    expect(observing).toMatchObject({ readyAt: '2026-01-01T02:00:00.000Z' });
  });
});

// transactions behind, and whether a candidate covers the master's position: the dialects' own
// comparisons, table-tested per engine in mysql-dialect-consolidation.test.ts
describe('catch-up progress', () => {
  it('draws the backlog worked off since the wait began', () => {
    expect(progressLine('db-1/s1', 12, 25, 100)).toBe('catch-up db-1/s1 [##################......] 75 % (12 s, 25 transactions behind)');
    expect(progressLine('db-1/s1', null, null, undefined)).toContain('0 % (? s behind)');
    expect(progressLine('db-1/s1', 0, 0, 100, true)).toBe('catch-up db-1/s1 [########################] caught up');
  });
});

describe('after a crash', () => {
  it('finds the phases a run died inside', () => {
    const e = (phase: string, event: JournalEntry['event']): JournalEntry => ({ phase, event, at: 't' });
    expect([...interruptedPhases([e('a', 'start'), e('a', 'done'), e('b', 'start'), e('c', 'start'), e('c', 'failed')])]).toEqual(['b']);
  });

  it('releases a switchover lease only for a run of ours whose process is gone', () => {
    const dead = (): boolean => false;
    const alive = (): boolean => true;
    expect(isOwnDeadHolder('cli:ops@bastion:4242:a1b2c3', 'cli:ops@bastion', dead)).toBe(true);
    expect(isOwnDeadHolder('cli:ops@bastion:4242:a1b2c3', 'cli:ops@bastion', alive)).toBe(false);
    expect(isOwnDeadHolder('cli:other@bastion:4242:a1b2c3', 'cli:ops@bastion', dead)).toBe(false);
    expect(isOwnDeadHolder('checker@host-a', 'cli:ops@bastion', dead)).toBe(false);
  });
});

describe('one run per journal', () => {
  it('refuses a second run while the first holds the lock, and takes over the lock of a dead process', async () => {
    const tmp = await makeTempDir('lock');
    try {
      const journal = join(tmp.path, 'plan.json.journal');
      const first = await acquireRunLock(journal);
      await expect(acquireRunLock(journal)).rejects.toThrow(/another run holds .*plan\.json\.journal\.lock \(pid \d+/);
      await first.release();
      await writeFile(`${journal}.lock`, `2147483646 ${hostname()}\n`); // a PID that cannot be running
      const taken = await acquireRunLock(journal);
      await taken.release();
      await writeFile(`${journal}.lock`, `2147483646 some-other-host\n`); // another machine's: never guessed dead
      await expect(acquireRunLock(journal)).rejects.toThrow(/some-other-host/);
    } finally {
      await tmp.remove();
    }
  });
});

describe('redo and promotion checks', () => {
  it('a reset entry makes a done phase pending again', () => {
    const e = (phase: string, event: JournalEntry['event']): JournalEntry => ({ phase, event, at: 't' });
    const { done } = journalProgress([e('s/provision', 'done'), e('s/seed', 'done'), e('s/seed', 'reset'), e('s/provision', 'reset')], {});
    expect([...done]).toEqual([]);
    expect([...journalProgress([e('s/seed', 'done'), e('s/seed', 'reset'), e('s/seed', 'done')], {}).done]).toEqual(['s/seed']);
  });
});
