import { describe, expect, it } from 'vitest';
import { describeChangeSet } from '../../src/dns/change-set.js';
import { decideCluster } from '../../src/failover/decide/decide-cluster.js';
import type { ProbeObservation } from '../../src/failover/decide/probe-observation.js';
import { ADDR, Sim, downHealth, id, input, seedNormal, topology, upHealth, writerOf, type Short } from './failover-fixtures.js';

const failedOver = { '01': downHealth('writer'), '02': upHealth('reader'), '03': upHealth('reader') } as const;
const view = (reporter: Short, names: Short): Partial<ProbeObservation> => ({ auroraWriterView: { reporterId: id(reporter), writerServerId: id(names) } });

describe('anti-flapping: a second writer flip within writer_flip_min_interval_ms is held', () => {
  // the previous flip went 127.0.10.3 -> 127.0.10.1 at t=10000 - elapsed; now 03 is the only writer
  it.each<[number, string]>([
    [0, 'WriterFlipHeld'],
    [1, 'WriterFlipHeld'],
    [2999, 'WriterFlipHeld'],
    [3000, 'WriterMoved'],
    [60_000, 'WriterMoved'],
  ])('%i ms after the previous flip: %s', (elapsed, kind) => {
    const lastFlip = { at: 10_000 - elapsed, from: ADDR['03'], to: ADDR['01'] };
    const d = decideCluster(input({ probes: { '01': 'x', '02': 'r', '03': 'w' }, health: failedOver, memory: { lastFlip } }));
    expect(d.situation.kind).toBe(kind);
    if (kind === 'WriterFlipHeld') {
      expect(d.hold).toEqual({ until: lastFlip.at + 3000, reason: expect.stringMatching(/moved 127.0.10.3 -> 127.0.10.1 \d+ ms ago; flips are at least 3000 ms apart/) });
      expect(d.alerts.map((a) => a.code)).toContain('writer-flip-held');
      expect(d.changeSet.some((c) => c.op === 'replace-writer')).toBe(false);
      expect(d.memory.lastFlip).toEqual(lastFlip);
    } else {
      expect(d.changeSet[0]?.op).toBe('replace-writer');
      expect(d.memory).toEqual({ lastFlip: { at: 10_000, from: ADDR['01'], to: ADDR['03'] }, hold: undefined });
    }
  });

  it('re-issuing the same flip (its DNS write did not land) is a retry, not a second flip', () => {
    const d = decideCluster(input({ probes: { '01': 'x', '02': 'r', '03': 'w' }, health: failedOver, memory: { lastFlip: { at: 9_900, from: ADDR['01'], to: ADDR['03'] } } }));
    expect(d.situation.kind).toBe('WriterMoved');
  });

  it('over time: flip, flap back held with a stable `since`, expires on its own, then flips', () => {
    const sim = new Sim(seedNormal());
    sim.ticks(3, { '01': 'w', '02': 'r', '03': 'r' });
    const flip = sim.tick({ '01': 'x', '02': 'r', '03': 'w' });
    expect(flip.situation.kind).toBe('WriterMoved');
    const flippedAt = sim.now;
    const held = sim.tick({ '01': 'w', '02': 'r', '03': 'x' });
    expect(held.situation).toMatchObject({ kind: 'WriterFlipHeld', from: ADDR['03'], to: ADDR['01'], until: flippedAt + 3000 });
    const since = sim.memory.hold?.since;
    sim.ticks(4, { '01': 'w', '02': 'r', '03': 'x' }); // now = flippedAt + 2500
    expect(sim.last?.situation.kind).toBe('WriterFlipHeld');
    expect(sim.memory.hold?.since).toBe(since);
    expect(writerOf(sim.records)).toEqual([ADDR['03']]);
    const back = sim.tick({ '01': 'w', '02': 'r', '03': 'x' }); // flippedAt + 3000
    expect(back.situation.kind).toBe('WriterMoved');
    expect(back.hold).toBeUndefined();
    expect(writerOf(sim.records)).toEqual([ADDR['01']]);
  });

  it('a hold ends when its reason does: the record target is the writer again', () => {
    const memory = { lastFlip: { at: 9_000, from: ADDR['03'], to: ADDR['01'] }, hold: { kind: 'flip-rate-limit' as const, to: ADDR['03'], since: 9_500, until: 12_000, reason: 'x' } };
    const d = decideCluster(input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: failedOver, memory }));
    expect(d.situation.kind).toBe('Healthy');
    expect(d.hold).toBeUndefined();
    expect(d.memory.hold).toBeUndefined();
  });
});

describe('Aurora: a new writer confirmed from a second vantage point (replica_host_status)', () => {
  it.each<[string, Partial<Record<Short, Partial<ProbeObservation>>>, string, string?]>([
    ['no instance reports: nothing to wait for', {}, 'WriterMoved', 'no-evidence'],
    ['another instance names the candidate', { '02': view('02', '03') }, 'WriterMoved', 'confirmed'],
    ['one of two reporters names the candidate', { '02': view('02', '01'), '04': view('04', '03') }, 'WriterMoved', 'confirmed'],
    ['every other reporter names the old writer', { '02': view('02', '01'), '04': view('04', '01') }, 'UnconfirmedWriter'],
    ["the candidate's own view proves nothing", { '03': view('03', '03'), '02': view('02', '01') }, 'UnconfirmedWriter'],
    ['a reporter whose probe failed is not evidence', { '01': view('01', '01') }, 'WriterMoved', 'no-evidence'],
  ])('%s', (_why, extra, kind, confirmation) => {
    const d = decideCluster(input({ topology: topology('01', '02', '03', '04'), probes: { '01': 'x', '02': 'r', '03': 'w', '04': 'r' }, health: { ...failedOver, '04': upHealth('reader') }, records: { ...seedNormal(), reader: { ...seedNormal().reader, records: [...seedNormal().reader.records, { address: ADDR['04'], type: 'A', weight: 100, ttl: 1, active: true }] } }, extra }));
    expect(d.situation.kind).toBe(kind);
    if (confirmation) expect(d.situation).toMatchObject({ confirmation });
    if (kind === 'UnconfirmedWriter') {
      expect(d.changeSet).toEqual([]);
      expect(d.hold).toEqual({ until: 15_000, reason: expect.stringContaining(`names ${id('01')} as the writer`) });
      expect(d.alerts.map((a) => a.code)).toEqual(['writer-unconfirmed']);
    }
  });

  it('holds until confirmed, with a stable `since`; a confirmation flips at once', () => {
    const sim = new Sim(seedNormal());
    sim.ticks(3, { '01': 'w', '02': 'r', '03': 'r' });
    const first = sim.tick({ '01': 'x', '02': 'r', '03': 'w' }, 500, { '02': view('02', '01') });
    expect(first.situation.kind).toBe('UnconfirmedWriter');
    const since = sim.memory.hold?.since;
    sim.tick({ '01': 'x', '02': 'r', '03': 'w' }, 500, { '02': view('02', '01') });
    expect(sim.memory.hold).toMatchObject({ kind: 'unconfirmed-writer', since, until: (since ?? 0) + 5000 });
    const confirmed = sim.tick({ '01': 'x', '02': 'r', '03': 'w' }, 500, { '02': view('02', '03') });
    expect(confirmed.situation).toMatchObject({ kind: 'WriterMoved', confirmation: 'confirmed' });
    expect(writerOf(sim.records)).toEqual([ADDR['03']]);
  });

  it('stale replica_host_status cannot keep writes down forever: the hold expires and the flip is flagged', () => {
    const sim = new Sim(seedNormal());
    sim.ticks(3, { '01': 'w', '02': 'r', '03': 'r' });
    const stale = { '02': view('02', '01') };
    sim.tick({ '01': 'x', '02': 'r', '03': 'w' }, 500, stale);
    const since = sim.now;
    for (let t = 0; t < 9; t++) expect(sim.tick({ '01': 'x', '02': 'r', '03': 'w' }, 500, stale).situation.kind).toBe('UnconfirmedWriter');
    expect(sim.now).toBe(since + 4500);
    const taken = sim.tick({ '01': 'x', '02': 'r', '03': 'w' }, 500, stale);
    expect(taken.situation).toMatchObject({ kind: 'WriterMoved', confirmation: 'hold-expired' });
    expect(taken.alerts.map((a) => a.code)).toContain('writer-unconfirmed-taken');
    expect(describeChangeSet(taken.changeSet)[0]).toBe('replace writer aurora-test-w: 127.0.10.1 -> 127.0.10.3');
  });
});
