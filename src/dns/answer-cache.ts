import type { WeightedEntry } from './weighted-pick.js';

/**
 * When a cached answer may be used, refreshed, or served stale. Pure: times are monotonic
 * milliseconds passed in by the caller (a Clock in production, ManualClock in tests).
 */
export interface Answer {
  /** Every record of the name that is answerable (active, weight > 0). */
  entries: WeightedEntry[];
  /** The records' TTL in seconds (the smallest, when they differ). */
  ttl: number;
}

export interface CachedAnswer {
  answer: Answer;
  /** When the database last gave this answer. */
  fetchedAt: number;
}

export interface CachePolicy {
  /** How long past its TTL the last good answer may still be served while the database fails. */
  staleForMs: number;
  /** After a failed refresh, serve stale without asking the database again for this long. */
  retryAfterMs: number;
}

export type CacheDecision =
  /** Within its TTL: answer from the cache. */
  | { kind: 'fresh' }
  /** Expired (or never fetched): ask the database. */
  | { kind: 'refresh' }
  /** The database failed a moment ago: serve the old answer without asking again yet. */
  | { kind: 'serve-stale' }
  /** The database failed a moment ago and the old answer is past its stale bound (or absent). */
  | { kind: 'fail' };

export function expiresAt(c: CachedAnswer): number {
  return c.fetchedAt + c.answer.ttl * 1000;
}

/** How long past expiry `c` may still be served. */
export function staleUntil(c: CachedAnswer, policy: CachePolicy): number {
  return expiresAt(c) + policy.staleForMs;
}

export function decide(now: number, cached: CachedAnswer | undefined, lastFailureAt: number | undefined, policy: CachePolicy): CacheDecision {
  if (cached && now < expiresAt(cached)) return { kind: 'fresh' };
  if (lastFailureAt !== undefined && now - lastFailureAt < policy.retryAfterMs) {
    return cached && now < staleUntil(cached, policy) ? { kind: 'serve-stale' } : { kind: 'fail' };
  }
  return { kind: 'refresh' };
}

/** After a refresh failed: may the last good answer be served? */
export function canServeStale(now: number, cached: CachedAnswer | undefined, policy: CachePolicy): cached is CachedAnswer {
  return cached !== undefined && now < staleUntil(cached, policy);
}
