import { describe, expect, it } from 'vitest';
import { decideFleet } from '../../src/failover/decide/decide-fleet.js';
import { buildTimeline, stampStage, TIMELINE_STAGES, type FailoverEvents } from '../../src/failover/decide/failover-timeline.js';
import { downHealth, input, upHealth } from './failover-fixtures.js';

const start: FailoverEvents = { cluster: 'aurora-test', from: '127.0.10.1', to: '127.0.10.3', stamps: {} };

describe('failover timeline', () => {
  it('computes per-stage offsets and the named durations of a complete failover', () => {
    let e = start;
    const at = { firstFailedProbe: 1000, newWriterSeen: 5200, decided: 5201, dnsCommitted: 5230, dnsAnswering: 5240, firstWriteOk: 5600 };
    for (const stage of TIMELINE_STAGES) e = stampStage(e, stage, at[stage]);
    const t = buildTimeline(e);
    expect(t.steps.map((s) => [s.stage, s.sincePreviousMs, s.sinceStartMs])).toEqual([
      ['firstFailedProbe', undefined, 0],
      ['newWriterSeen', 4200, 4200],
      ['decided', 1, 4201],
      ['dnsCommitted', 29, 4230],
      ['dnsAnswering', 10, 4240],
      ['firstWriteOk', 360, 4600],
    ]);
    expect(t.durations).toEqual({ outageToNewWriterMs: 4200, newWriterToDecisionMs: 1, decisionToCommitMs: 29, commitToAnswerMs: 10, detectToDnsMs: 40, writeDowntimeMs: 4600 });
    expect(t).toMatchObject({ startedAt: 1000, complete: true, outOfOrder: [] });
  });

  it('the first stamp of a stage wins', () => {
    const e = stampStage(stampStage(start, 'firstFailedProbe', 1000), 'firstFailedProbe', 1500);
    expect(e.stamps.firstFailedProbe).toBe(1000);
  });

  it.each<[string, FailoverEvents['stamps'], Partial<ReturnType<typeof buildTimeline>['durations']>, boolean]>([
    ['nothing stamped', {}, { detectToDnsMs: undefined, writeDowntimeMs: undefined }, false],
    ['DNS not answering yet', { firstFailedProbe: 10, newWriterSeen: 20, decided: 21, dnsCommitted: 30 }, { decisionToCommitMs: 9, detectToDnsMs: undefined }, false],
    ['no write probe running', { newWriterSeen: 20, decided: 21, dnsCommitted: 30, dnsAnswering: 31 }, { detectToDnsMs: 11, writeDowntimeMs: undefined }, false],
  ])('partial: %s', (_why, stamps, durations, complete) => {
    const t = buildTimeline({ ...start, stamps });
    expect(t.durations).toMatchObject(durations);
    expect(t.complete).toBe(complete);
  });

  it('flags stages stamped before an earlier stage (clock skew) instead of hiding them', () => {
    const t = buildTimeline({ ...start, stamps: { newWriterSeen: 100, decided: 90, dnsCommitted: 95 } });
    expect(t.outOfOrder).toEqual(['decided']);
    expect(t.durations.newWriterToDecisionMs).toBe(-10);
    expect(t.startedAt).toBe(90);
  });
});

describe('decideFleet', () => {
  const healthy = input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: { '01': upHealth('writer'), '02': upHealth('reader'), '03': upHealth('reader') } });
  const moved = input({ probes: { '01': 'x', '02': 'r', '03': 'w' }, health: { '01': downHealth('writer'), '02': upHealth('reader'), '03': upHealth('reader') } });
  const dark = input({ probes: { '01': 'x', '02': 'x', '03': 'x' } });
  const named = (name: string, i: typeof healthy): typeof healthy => ({ ...i, cluster: { ...i.cluster, name } });

  it('decides each cluster independently and lists only those with changes', () => {
    const f = decideFleet([named('a', healthy), named('b', moved), named('c', dark)]);
    expect(f.decisions.map((d) => [d.cluster, d.situation.kind])).toEqual([['a', 'Healthy'], ['b', 'WriterMoved'], ['c', 'AllUnreachable']]);
    expect(f.changed.map((d) => d.cluster)).toEqual(['b']);
    expect(f.counts).toEqual({ Healthy: 1, WriterMoved: 1, AllUnreachable: 1 });
    expect(f.alerts).toEqual([]);
  });

  it('most clusters unreachable at once: the checker is cut off (fleet alert), and nothing changes there', () => {
    const f = decideFleet([named('a', dark), named('b', dark), named('c', moved)]);
    expect(f.alerts.map((a) => [a.severity, a.code])).toEqual([['critical', 'checker-isolated']]);
    expect(f.changed.map((d) => d.cluster)).toEqual(['c']);
  });
});
