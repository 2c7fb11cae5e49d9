/**
 * Picking one address with probability proportional to its weight. Pure; the random source is
 * injected (Math.random in production, a scripted sequence in tests). This is the seed's reason
 * for reading MyDNS directly: DNS round-robin clients favour "near" addresses, a weighted pick
 * does not.
 */
export interface WeightedEntry {
  address: string;
  weight: number;
}

/** A number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** The chosen address, or undefined when no entry has weight > 0. */
export function pickWeighted(entries: readonly WeightedEntry[], random: RandomSource): string | undefined {
  let total = 0;
  for (const e of entries) if (e.weight > 0) total += e.weight;
  if (total <= 0) return undefined;
  // clamp: a broken source returning 1 (or more) must still land on the last entry
  let point = Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * total;
  let last: string | undefined;
  for (const e of entries) {
    if (e.weight <= 0) continue;
    last = e.address;
    if (point < e.weight) return e.address;
    point -= e.weight;
  }
  return last;
}
