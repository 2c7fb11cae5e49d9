import { describe, expect, it } from 'vitest';
import { auditWrites, badWrites, describeAudit, type Ack, type Presence } from '../../src/failover/meter/write-audit.js';

const acksOf = (...runs: [string, number, number][]): Ack[] => runs.flatMap(([by, from, to]) => Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, by })));
const rows = (...ranges: [number, number][]): Set<number> => new Set(ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)));

describe('the write audit', () => {
  it('a clean move: A then B, B has everything, A follows B: nothing bad', () => {
    const a = auditWrites(acksOf(['A', 1, 10], ['B', 11, 20]), new Map<string, Presence>([['A', rows([1, 20])], ['B', rows([1, 20])]]), 'B');
    expect(a).toMatchObject({ lost: [], split: [], oneSided: [], unchecked: [], acknowledgedBy: { A: 10, B: 10 } });
    expect(badWrites(a)).toBe(0);
  });

  it('a switch back (A, B, A) with each following the other: nothing bad', () => {
    const a = auditWrites(acksOf(['A', 1, 5], ['B', 6, 9], ['A', 10, 12]), new Map<string, Presence>([['A', rows([1, 12])], ['B', rows([1, 12])]]), 'A');
    expect(badWrites(a)).toBe(0);
  });

  it('a write the new writer lacks is lost', () => {
    const a = auditWrites(acksOf(['A', 1, 10], ['B', 11, 20]), new Map<string, Presence>([['A', rows([1, 20])], ['B', rows([1, 8], [11, 20])]]), 'B');
    expect(a.lost).toEqual([9, 10]);
    // B acknowledged 11..20 without 9 and 10: it took writes before it had them
    expect(a.split).toEqual([{ seq: 9, missingOn: 'B' }, { seq: 10, missingOn: 'B' }]);
  });

  it('two writers at once: A keeps acknowledging after B did, and lacks what B took; the final writer has all', () => {
    // B replicates from A (so it gets A's writes); A never gets B's 11..15, yet acknowledges 16..20
    const a = auditWrites(acksOf(['A', 1, 10], ['B', 11, 15], ['A', 16, 20], ['B', 21, 25]), new Map<string, Presence>([['A', rows([1, 10], [16, 20])], ['B', rows([1, 25])]]), 'B');
    expect(a.lost).toEqual([]);
    expect(a.split.map((s) => s.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(a.split.every((s) => s.missingOn === 'A')).toBe(true);
    expect(badWrites(a)).toBeGreaterThan(0);
  });

  it("one side only: the old writer follows the new one now but lacks writes the new one took before it started following", () => {
    // B took 11..20 while A was still the source of B's replication; A then follows B from after 20
    const a = auditWrites(acksOf(['A', 1, 10], ['B', 11, 30]), new Map<string, Presence>([['A', rows([1, 10], [21, 30])], ['B', rows([1, 30])]]), 'B');
    expect(a.lost).toEqual([]);
    expect(a.split).toEqual([]);
    expect(a.oneSided.map((s) => s.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(describeAudit(a)).toBe('acknowledged 10 by A, 20 by B; 0 lost, 0 split, 10 on one side only (e.g. #11 not on A, #12 not on A, #13 not on A)');
  });

  it('a server that does not follow the final writer, or cannot be read, is unchecked, never clean', () => {
    const down = auditWrites(acksOf(['A', 1, 10], ['B', 11, 20]), new Map<string, Presence>([['A', 'unreachable'], ['B', rows([1, 20])]]), 'B');
    expect(down.unchecked).toEqual([{ server: 'A', why: 'could not be read' }]);
    const detached = auditWrites(acksOf(['A', 1, 10], ['B', 11, 20]), new Map<string, Presence>([['A', rows([1, 10])], ['B', rows([1, 20])]]), 'B');
    expect(detached.unchecked).toEqual([{ server: 'A', why: 'does not follow B (its last write, 20, never arrived)' }]);
    expect(detached.oneSided).toEqual([]);
    const noWriter = auditWrites(acksOf(['A', 1, 3]), new Map<string, Presence>([['A', 'unreachable']]), 'A');
    expect(noWriter.unchecked).toEqual([{ server: 'A', why: 'the final writer could not be read' }]);
    expect(noWriter.lost).toEqual([1, 2, 3]);
  });
});
