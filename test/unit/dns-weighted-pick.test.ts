import { describe, expect, it } from 'vitest';
import { pickWeighted, type WeightedEntry } from '../../src/dns/weighted-pick.js';

/** A random source that walks evenly through [0, 1): n draws hit each weight band exactly in proportion. */
function evenly(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n;
}

function tally(entries: readonly WeightedEntry[], draws: number, random: () => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < draws; i++) {
    const a = pickWeighted(entries, random);
    if (a !== undefined) out[a] = (out[a] ?? 0) + 1;
  }
  return out;
}

describe('pickWeighted', () => {
  const cases: { why: string; entries: WeightedEntry[]; draws: number; want: Record<string, number> }[] = [
    { why: 'equal weights split evenly', entries: [{ address: 'a', weight: 100 }, { address: 'b', weight: 100 }], draws: 1000, want: { a: 500, b: 500 } },
    { why: 'weights 1:3', entries: [{ address: 'a', weight: 25 }, { address: 'b', weight: 75 }], draws: 1000, want: { a: 250, b: 750 } },
    { why: "weight 0 is never picked (the seed's writer entry in the reader record)", entries: [{ address: 'w', weight: 0 }, { address: 'r1', weight: 100 }, { address: 'r2', weight: 100 }], draws: 1000, want: { r1: 500, r2: 500 } },
    { why: 'fallback: only the writer entry has weight', entries: [{ address: 'w', weight: 100 }, { address: 'r1', weight: 0 }], draws: 10, want: { w: 10 } },
    { why: '1:2:7', entries: [{ address: 'a', weight: 1 }, { address: 'b', weight: 2 }, { address: 'c', weight: 7 }], draws: 1000, want: { a: 100, b: 200, c: 700 } },
  ];
  for (const c of cases) {
    it(c.why, () => {
      expect(tally(c.entries, c.draws, evenly(c.draws))).toEqual(c.want);
    });
  }

  it('returns undefined when nothing has weight', () => {
    expect(pickWeighted([], Math.random)).toBeUndefined();
    expect(pickWeighted([{ address: 'a', weight: 0 }], Math.random)).toBeUndefined();
  });

  it('maps the edges of [0, 1) to the first and last entries, and survives a source that returns 1', () => {
    const entries = [{ address: 'a', weight: 1 }, { address: 'z', weight: 0 }, { address: 'b', weight: 1 }];
    expect(pickWeighted(entries, () => 0)).toBe('a');
    expect(pickWeighted(entries, () => 0.999999)).toBe('b');
    expect(pickWeighted(entries, () => 1)).toBe('b');
    expect(pickWeighted(entries, () => -0.5)).toBe('a');
  });
});
