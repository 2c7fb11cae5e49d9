import { NDIMS, type Vec } from './demand.js';

/** The per-shard bounds on copies in one AZ: floor and ceil of copies / AZs. */
export function azBounds(copies: number, nAz: number): { min: number; max: number } {
  return { min: Math.floor(copies / nAz), max: Math.ceil(copies / nAz) };
}

/**
 * How many copies of each shard go to each AZ, as a flat array indexed [shard * nAz + az]. Every
 * AZ gets floor(copies / AZs) copies of every shard; the remaining copies (4 in 3 AZs: one) go to
 * the AZs with the least load so far, biggest shards first, so that every AZ needs about the same
 * number of hosts. `norm` is each shard's demand as a fraction of one host; `order` is the shards,
 * biggest first.
 */
export function spreadAcrossAzs(norm: readonly Vec[], order: readonly number[], copies: number, nAz: number): Int32Array {
  const counts = new Int32Array(norm.length * nAz);
  const { min } = azBounds(copies, nAz);
  const extra = copies - min * nAz;
  const load = Array.from({ length: nAz }, () => new Float64Array(NDIMS));
  for (const s of order) {
    const v = norm[s] as Vec;
    for (let a = 0; a < nAz; a++) counts[s * nAz + a] = min;
    for (let k = 0; k < extra; k++) {
      let best = -1;
      let bestPeak = Infinity;
      let bestSum = Infinity;
      for (let a = 0; a < nAz; a++) {
        if ((counts[s * nAz + a] as number) > min) continue;
        const l = load[a] as Float64Array;
        let peak = 0;
        let sum = 0;
        for (let d = 0; d < NDIMS; d++) {
          const x = (l[d] as number) + (v[d] as number);
          if (x > peak) peak = x;
          sum += x;
        }
        if (peak < bestPeak - 1e-12 || (Math.abs(peak - bestPeak) <= 1e-12 && sum < bestSum)) {
          best = a;
          bestPeak = peak;
          bestSum = sum;
        }
      }
      counts[s * nAz + best] = (counts[s * nAz + best] as number) + 1;
      const l = load[best] as Float64Array;
      for (let d = 0; d < NDIMS; d++) l[d] = (l[d] as number) + (v[d] as number);
    }
  }
  return counts;
}

/**
 * Per shard, the AZ of its provisional master copy: among the AZs holding a copy, the one with the
 * fewest masters so far (biggest shards first), so that masters start out even across AZs.
 */
export function masterAzs(counts: Int32Array, order: readonly number[], nAz: number): Int32Array {
  const out = new Int32Array(counts.length / nAz);
  const masters = new Array<number>(nAz).fill(0);
  for (const s of order) {
    let best = -1;
    for (let a = 0; a < nAz; a++) {
      if ((counts[s * nAz + a] as number) > 0 && (best < 0 || (masters[a] as number) < (masters[best] as number))) best = a;
    }
    out[s] = best;
    masters[best] = (masters[best] as number) + 1;
  }
  return out;
}
