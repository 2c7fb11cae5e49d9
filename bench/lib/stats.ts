/** Order statistics for benchmark samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export const median = (s: readonly number[]): number => quantile(s, 0.5);
export const max = (s: readonly number[]): number => (s.length === 0 ? Number.NaN : Math.max(...s));
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
