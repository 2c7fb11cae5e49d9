import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { RemoteError } from '../../src/core/errors.js';
import { decide, type CachedAnswer, type CachePolicy } from '../../src/dns/answer-cache.js';
import { UnknownNameError } from '../../src/dns/dns-errors.js';
import type { Answer } from '../../src/dns/answer-cache.js';
import type { NameSource } from '../../src/dns/table-reader.js';
import { WeightedResolver } from '../../src/dns/weighted-resolver.js';

const policy: CachePolicy = { staleForMs: 10_000, retryAfterMs: 1_000 };
const cached = (fetchedAt: number, ttl: number): CachedAnswer => ({ answer: { entries: [{ address: 'a', weight: 1 }], ttl }, fetchedAt });

describe('decide: fresh, refresh, serve stale, fail', () => {
  const cases: { why: string; now: number; c?: CachedAnswer; failedAt?: number; want: string }[] = [
    { why: 'nothing cached', now: 0, want: 'refresh' },
    { why: 'within the TTL', now: 4_999, c: cached(0, 5), want: 'fresh' },
    { why: 'at the TTL', now: 5_000, c: cached(0, 5), want: 'refresh' },
    { why: 'expired, no failure yet', now: 60_000, c: cached(0, 5), want: 'refresh' },
    { why: 'expired, failed just now, within stale bound', now: 6_000, c: cached(0, 5), failedAt: 5_500, want: 'serve-stale' },
    { why: 'expired, failed long ago: try the database again', now: 8_000, c: cached(0, 5), failedAt: 5_500, want: 'refresh' },
    { why: 'failed just now, past the stale bound', now: 15_500, c: cached(0, 5), failedAt: 15_000, want: 'fail' },
    { why: 'failed just now, nothing ever cached', now: 100, failedAt: 50, want: 'fail' },
  ];
  for (const c of cases) {
    it(c.why, () => {
      expect(decide(c.now, c.c, c.failedAt, policy).kind).toBe(c.want);
    });
  }
});

/** A NameSource whose answers and failures the test scripts, counting reads. */
class ScriptedSource implements NameSource {
  reads = 0;
  next: Answer | Error = { entries: [{ address: '10.0.0.1', weight: 100 }], ttl: 5 };
  async read(): Promise<Answer> {
    this.reads += 1;
    if (this.next instanceof Error) throw this.next;
    return structuredClone(this.next);
  }
  async close(): Promise<void> {}
}

function setup(): { clock: ManualClock; source: ScriptedSource; resolver: WeightedResolver } {
  const clock = new ManualClock(1_000_000);
  const source = new ScriptedSource();
  const resolver = new WeightedResolver({ source, clock, random: () => 0, staleForMs: 10_000, retryAfterMs: 1_000 });
  return { clock, source, resolver };
}

describe('WeightedResolver caching and staleness (injected clock)', () => {
  it('reads the database once per TTL', async () => {
    const { clock, source, resolver } = setup();
    expect(await resolver.resolve('aurora-test-w')).toMatchObject({ address: '10.0.0.1', ttl: 5, stale: false, ageMs: 0 });
    clock.advance(4_999);
    expect(await resolver.resolve('aurora-test-w')).toMatchObject({ address: '10.0.0.1', stale: false, ageMs: 4_999 });
    expect(source.reads).toBe(1);
    source.next = { entries: [{ address: '10.0.0.2', weight: 100 }], ttl: 5 };
    clock.advance(1);
    expect((await resolver.resolve('aurora-test-w')).address).toBe('10.0.0.2');
    expect(source.reads).toBe(2);
  });

  it('coalesces concurrent refreshes into one read', async () => {
    const { source, resolver } = setup();
    await Promise.all([resolver.resolve('x'), resolver.resolve('x'), resolver.resolve('X')]);
    expect(source.reads).toBe(1);
  });

  it('serves the last good answer marked stale while the database fails, then fails clearly past the bound', async () => {
    const { clock, source, resolver } = setup();
    await resolver.resolve('aurora-test-r');
    clock.advance(5_000);
    source.next = new RemoteError('MYSQL_CONNECT', 'connect ECONNREFUSED 127.53.1.1:3306');
    const stale = await resolver.resolve('aurora-test-r');
    expect(stale).toMatchObject({ address: '10.0.0.1', stale: true, ageMs: 5_000 });
    expect(stale.error?.message).toContain('ECONNREFUSED');
    // within retryAfterMs the database is not asked again
    clock.advance(500);
    expect((await resolver.resolve('aurora-test-r')).stale).toBe(true);
    expect(source.reads).toBe(2);
    // later it is asked again, still failing, still within TTL + stale bound
    clock.advance(9_000);
    expect((await resolver.resolve('aurora-test-r')).stale).toBe(true);
    expect(source.reads).toBe(3);
    // past TTL (5 s) + stale bound (10 s): a clear error naming the cause and the age
    clock.advance(1_000);
    await expect(resolver.resolve('aurora-test-r')).rejects.toMatchObject({ code: 'DNS_UNAVAILABLE', message: expect.stringMatching(/ECONNREFUSED.*16 s old/) });
  });

  it('recovers at once when the database answers again', async () => {
    const { clock, source, resolver } = setup();
    await resolver.resolve('n');
    clock.advance(6_000);
    source.next = new RemoteError('MYSQL_CONNECT', 'down');
    expect((await resolver.resolve('n')).stale).toBe(true);
    source.next = { entries: [{ address: '10.0.0.9', weight: 1 }], ttl: 5 };
    clock.advance(1_000);
    expect(await resolver.resolve('n')).toMatchObject({ address: '10.0.0.9', stale: false, error: undefined });
  });

  it('fails clearly when the database fails before any good answer', async () => {
    const { source, resolver } = setup();
    source.next = new RemoteError('MYSQL_CONNECT', 'down');
    await expect(resolver.resolve('n')).rejects.toMatchObject({ code: 'DNS_UNAVAILABLE', message: expect.stringContaining('no answer was ever read') });
  });

  it('reports a name without records and a name whose weights are all 0 as such, not as an outage', async () => {
    const { source, resolver } = setup();
    source.next = new UnknownNameError('nope has no address records');
    await expect(resolver.resolve('nope')).rejects.toMatchObject({ code: 'DNS_UNKNOWN_NAME' });
    source.next = { entries: [], ttl: 5 };
    await expect(resolver.resolve('drained')).rejects.toMatchObject({ code: 'DNS_NO_ADDRESS' });
  });
});
