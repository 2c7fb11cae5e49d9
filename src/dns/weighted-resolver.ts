import { systemClock, type Clock } from '../core/clock.js';
import { DbfleetError, RemoteError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { canServeStale, decide, type Answer, type CachedAnswer, type CachePolicy } from './answer-cache.js';
import { UnknownNameError } from './dns-errors.js';
import type { NameSource } from './table-reader.js';
import { pickWeighted, type RandomSource, type WeightedEntry } from './weighted-pick.js';

/**
 * Resolves names by reading the MyDNS tables and picking an address by weight. Answers are cached
 * for the records' TTL. When the database fails, the last good answer is served for a bounded
 * time, marked `stale` with the error, so the application keeps working through a DNS-database
 * outage and knows it; past the bound, resolution fails clearly.
 */
export interface Resolution {
  name: string;
  address: string;
  /** The records' TTL, seconds. */
  ttl: number;
  /** Every answerable entry the pick was made from. */
  entries: WeightedEntry[];
  /** True when the database could not be read and this is the last good answer. */
  stale: boolean;
  /** Why the answer is stale. */
  error?: DbfleetError | undefined;
  /** Milliseconds since the database gave this answer. */
  ageMs: number;
}

export interface WeightedResolverOptions {
  source: NameSource;
  clock?: Clock;
  random?: RandomSource;
  /** How long past the TTL a last good answer may be served while the database fails (default 60 s). */
  staleForMs?: number;
  /** After a failed read, do not ask the database again for this long (default 1 s). */
  retryAfterMs?: number;
  logger?: Logger;
}

interface Entry {
  cached?: CachedAnswer | undefined;
  lastFailureAt?: number | undefined;
  lastError?: DbfleetError | undefined;
  inflight?: Promise<void> | undefined;
}

export class WeightedResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly policy: CachePolicy;
  private readonly logger: Logger;

  constructor(private readonly options: WeightedResolverOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.policy = { staleForMs: options.staleForMs ?? 60_000, retryAfterMs: options.retryAfterMs ?? 1_000 };
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * One address for `name`, picked by weight. Throws UnknownNameError for a name without records,
   * RemoteError DNS_NO_ADDRESS when every record has weight 0, and RemoteError DNS_UNAVAILABLE
   * when the database fails and there is no last good answer within the stale bound.
   */
  async resolve(name: string): Promise<Resolution> {
    const key = name.toLowerCase();
    const e = this.entries.get(key) ?? {};
    this.entries.set(key, e);
    const d = decide(this.clock.monotonic(), e.cached, e.lastFailureAt, this.policy);
    if (d.kind === 'refresh') {
      e.inflight ??= this.refresh(key, e).finally(() => {
        e.inflight = undefined;
      });
      await e.inflight;
    } else if (d.kind === 'fail') {
      throw this.unavailable(key, e);
    }
    return this.answer(key, e);
  }

  /** The full answer (all entries) without picking; same caching and staleness rules. */
  async lookup(name: string): Promise<Omit<Resolution, 'address'>> {
    const { address: _address, ...rest } = await this.resolve(name);
    return rest;
  }

  /** Forgets cached answers (e.g. after this process changed the records itself). */
  invalidate(name?: string): void {
    if (name === undefined) this.entries.clear();
    else this.entries.delete(name.toLowerCase());
  }

  async close(): Promise<void> {
    await this.options.source.close();
  }

  private async refresh(key: string, e: Entry): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.options.source.read(key);
    } catch (err) {
      if (err instanceof UnknownNameError) throw err;
      e.lastFailureAt = this.clock.monotonic();
      e.lastError = err instanceof DbfleetError ? err : new RemoteError('DNS_UNAVAILABLE', String(err), { cause: err });
      this.logger.warn({ name: key, err: e.lastError.message }, 'resolver: MyDNS database read failed');
      return;
    }
    e.cached = { answer, fetchedAt: this.clock.monotonic() };
    e.lastFailureAt = undefined;
    e.lastError = undefined;
  }

  private answer(key: string, e: Entry): Resolution {
    const now = this.clock.monotonic();
    const stale = e.lastFailureAt !== undefined;
    // after a failed read only an answer within its stale bound may be served; after a good read
    // the answer just fetched is served even with TTL 0
    if (stale ? !canServeStale(now, e.cached, this.policy) : e.cached === undefined) throw this.unavailable(key, e);
    const c = e.cached as CachedAnswer;
    const address = pickWeighted(c.answer.entries, this.random);
    if (address === undefined) {
      throw new RemoteError('DNS_NO_ADDRESS', `${key} has no address with weight > 0`, { next: 'restore a weight (dbfleet dns set-weight NAME ADDRESS 100); the failover checker does this when an instance answers again' });
    }
    return { name: key, address, ttl: c.answer.ttl, entries: c.answer.entries, stale, error: stale ? e.lastError : undefined, ageMs: Math.round(now - c.fetchedAt) };
  }

  private unavailable(key: string, e: Entry): RemoteError {
    const age = e.cached ? Math.round((this.clock.monotonic() - e.cached.fetchedAt) / 1000) : undefined;
    const why = e.lastError?.message ?? 'unknown error';
    const last = age === undefined ? 'no answer was ever read' : `the last good answer is ${age} s old, past its TTL plus the ${Math.round(this.policy.staleForMs / 1000)} s stale bound`;
    return new RemoteError('DNS_UNAVAILABLE', `cannot resolve ${key}: the MyDNS database failed (${why}) and ${last}`, {
      cause: e.lastError,
      retryable: true,
      next: 'bring the MyDNS database back; answers resume on the next resolve',
    });
  }
}
