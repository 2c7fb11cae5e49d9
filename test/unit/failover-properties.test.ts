import { describe, expect, it } from 'vitest';
import type { ReplaceWriterOp } from '../../src/dns/change-set.js';
import type { DecidePolicy } from '../../src/failover/decide/decide-policy.js';
import { probeSucceeded, type ProbeObservation } from '../../src/failover/decide/probe-observation.js';
import { ADDR, Sim, id, records, topology, type Short, type Spec } from './failover-fixtures.js';

/** mulberry32: a tiny seeded RNG, so a failing sequence can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// distinct weights, so a wrong one cannot hide behind an equal one
const p: DecidePolicy = { failAfter: 2, recoverAfter: 3, fallbackWeight: 90, readerWeight: 60, writerFlipMinIntervalMs: 3000, unconfirmedWriterMaxHoldMs: 5000 };
const ALL: Short[] = ['01', '02', '03', '04'];

function pick<T>(r: () => number, weighted: [T, number][]): T {
  let x = r() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of weighted) if ((x -= w) < 0) return v;
  return (weighted[weighted.length - 1] as [T, number])[0];
}

/** Random rounds: mostly one "true" writer that sometimes dies or moves, plus noise, split brains and blackouts. */
function scenario(seed: number, ticks: number): Record<string, number> {
  const seenKinds: Record<string, number> = {};
  const r = rng(seed);
  const sim = new Sim(records('01', { '01': 0, '02': 60, '03': 60 }), topology('01', '02', '03'), 0, p);
  let trueWriter: Short = '01';
  let lastFlip: { at: number; to: string } | undefined;
  for (let t = 0; t < ticks; t++) {
    if (r() < 0.08) trueWriter = pick(r, ALL.map((n) => [n, 1]));
    if (r() < 0.05) {
      const members = ALL.filter((n) => n === '02' || r() < 0.75);
      sim.topology = topology(...members);
    }
    const blackout = r() < 0.05;
    const round: Partial<Record<Short, Spec>> = {};
    for (const n of sim.topology.instances.map((i) => i.address).map((a) => (Object.entries(ADDR).find(([, x]) => x === a) as [Short, string])[0])) {
      const good: Spec = n === trueWriter ? 'w' : 'r';
      round[n] = blackout ? pick(r, [['x', 3], ['nr', 1]]) : pick<Spec>(r, [[good, 12], ['x', 4], ['-', 1], [good === 'w' ? 'nw' : 'nr', 1], ['w', 1], ['r', 1]]);
    }
    // Aurora's second vantage point: some readers report whom they see as the writer, not always right
    const extra: Partial<Record<Short, Partial<ProbeObservation>>> = {};
    for (const n of Object.keys(round) as Short[]) {
      if (r() < 0.3) extra[n] = { auroraWriterView: { reporterId: id(n), writerServerId: id(pick(r, [[trueWriter, 3], [pick(r, ALL.map((x) => [x, 1])), 1]])) } };
    }
    const before = sim.records;
    const d = sim.tick(round, pick(r, [[100, 3], [500, 3], [2000, 2]]), extra);
    seenKinds[d.situation.kind] = (seenKinds[d.situation.kind] ?? 0) + 1;
    const seen = (address: string) => sim.observations[sim.topology.instances.find((i) => i.address === address)?.id ?? ''];
    const context = `seed ${seed}, tick ${t}, ${d.situation.kind}`;

    // the writer record always has exactly one address (applyChanges also enforced the store's CAS)
    expect(sim.records.writer.records, context).toHaveLength(1);
    // no change at all when no instance answered
    const current = sim.topology.instances.map((i) => sim.observations[i.id]).filter((o) => o !== undefined);
    if (!current.some((o) => probeSucceeded(o))) expect(d.changeSet, context).toEqual([]);
    // a flip goes first, once, to the one instance seen writable on a good probe, never to a read-only one
    const flips = d.changeSet.filter((c): c is ReplaceWriterOp => c.op === 'replace-writer');
    if (flips.length > 0) {
      expect(flips, context).toHaveLength(1);
      expect(d.changeSet[0], context).toBe(flips[0]);
      const to = (flips[0] as ReplaceWriterOp).address;
      const o = seen(to);
      expect(o !== undefined && probeSucceeded(o) && o.role === 'writer', context).toBe(true);
      expect(sim.topology.instances.filter((i) => sim.observations[i.id]?.role === 'writer').map((i) => i.address), context).toEqual([to]);
      // a different flip inside the anti-flap window never happens
      if (lastFlip && lastFlip.to !== to) expect(sim.now - lastFlip.at, context).toBeGreaterThanOrEqual(p.writerFlipMinIntervalMs);
      lastFlip = { at: sim.now, to };
    }
    // the writer record is never moved onto an instance last seen read-only
    const target = sim.records.writer.records[0]?.address ?? '';
    if (seen(target)?.role === 'reader') expect(before.writer.records[0]?.address, context).toBe(target);
    // weights are only ever 0, reader_weight or fallback_weight, one operation per address
    for (const c of d.changeSet) if (c.op === 'set-weight' || c.op === 'add-address') expect([0, 60, 90], context).toContain(c.weight);
    const touched = d.changeSet.map((c) => `${c.name} ${'address' in c ? c.address : ''}`);
    expect(new Set(touched).size, context).toBe(touched.length);
    // a hold always lies in the future; deciding again on the applied records changes nothing
    if (d.hold) expect(d.hold.until, context).toBeGreaterThan(sim.now);
    expect(sim.again().changeSet, context).toEqual([]);
  }
  return seenKinds;
}

describe('invariants over randomised observation sequences', () => {
  it.each(Array.from({ length: 40 }, (_, i) => [1000 + i]))('seed %i: 150 ticks', (seed) => {
    scenario(seed, 150);
  });

  it('the generator reaches every situation that is not about configuration', () => {
    const total: Record<string, number> = {};
    for (let seed = 1000; seed < 1040; seed++) for (const [k, n] of Object.entries(scenario(seed, 150))) total[k] = (total[k] ?? 0) + n;
    for (const kind of ['Healthy', 'WriterMoved', 'WriterFlipHeld', 'UnconfirmedWriter', 'NoWriter', 'SplitBrain', 'AllUnreachable']) expect(total[kind], kind).toBeGreaterThan(0);
  });
});
