// No AWS here (none is reachable from this machine): the refresher is driven with a scripted
// topology source and a manual clock, so time only moves when the test says.
import { describe, expect, it } from 'vitest';
import { getEventListeners } from 'node:events';
import { ManualClock } from '../../src/core/clock.js';
import { RemoteError } from '../../src/core/errors.js';
import { TopologyRefresher } from '../../src/failover/topology/topology-refresher.js';
import type { ClusterTopology, RefreshResult, TopologySource } from '../../src/failover/topology/cluster-topology.js';

const flush = async (): Promise<void> => {
  for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
};

/** A source whose refreshes finish only when the test releases them; counts concurrency. */
class ScriptedSource implements TopologySource {
  readonly cluster = 'aurora-test';
  started = 0;
  inFlight = 0;
  maxInFlight = 0;
  signals: AbortSignal[] = [];
  private releases: ((r: RefreshResult) => void)[] = [];
  auto: RefreshResult | undefined;
  private topo: ClusterTopology = { cluster: 'aurora-test', instances: [], source: 'rds', fetchedAt: 0 };

  current(): ClusterTopology {
    return this.topo;
  }
  refresh(signal?: AbortSignal): Promise<RefreshResult> {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (signal) this.signals.push(signal);
    const done = (r: RefreshResult): RefreshResult => {
      this.inFlight--;
      return r;
    };
    if (this.auto) return Promise.resolve(done(this.auto));
    return new Promise((resolve) => this.releases.push((r) => resolve(done(r))));
  }
  release(r: RefreshResult = this.ok()): void {
    this.releases.shift()?.(r);
  }
  ok(): RefreshResult {
    return { ok: true, topology: this.topo, changes: { added: [], removed: [], changed: [] } };
  }
}

describe('TopologyRefresher', () => {
  it('refreshes once per interval, with the jitter applied to each wait', async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    source.auto = source.ok();
    const results: RefreshResult[] = [];
    const r = new TopologyRefresher({ source, intervalMs: 60_000, jitter: 0.2, clock, random: () => 0, onResult: (x) => results.push(x) });
    expect(r.nextDelayMs()).toBe(48_000); // 60 s × (1 - 0.2) at random() = 0
    r.start();
    await flush();
    clock.advance(47_999);
    await flush();
    expect(source.started).toBe(0);
    clock.advance(1);
    await flush();
    expect(source.started).toBe(1);
    for (let k = 0; k < 3; k++) {
      clock.advance(48_000);
      await flush();
    }
    expect(source.started).toBe(4);
    expect(results).toHaveLength(4);
    expect(r.stats).toEqual({ refreshes: 4, failures: 0 });
    for (let k = 0; k < 30; k++) {
      clock.advance(48_000);
      await flush();
    }
    // a service that runs for months must not pile up abort listeners, one per round
    expect(getEventListeners(source.signals[0] as AbortSignal, 'abort').length).toBeLessThanOrEqual(2);
    await r.stop();
    expect(r.state).toBe('stopped');
  });

  it('never overlaps itself: a slow refresh holds the next one back', async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    const r = new TopologyRefresher({ source, intervalMs: 1_000, jitter: 0, clock });
    r.start();
    await flush();
    clock.advance(1_000);
    await flush();
    expect(source.started).toBe(1);
    for (let k = 0; k < 10; k++) {
      clock.advance(1_000); // ten intervals pass while the first refresh hangs
      await flush();
    }
    expect(source.started).toBe(1);
    source.release();
    await flush();
    clock.advance(1_000);
    await flush();
    expect(source.started).toBe(2);
    expect(source.maxInFlight).toBe(1);
    source.release();
    await r.stop();
  });

  it('counts failures and keeps going', async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    source.auto = { ok: false, topology: source.current(), error: new RemoteError('AWS_THROTTLED', 'Rate exceeded', { retryable: true }) };
    const r = new TopologyRefresher({ source, intervalMs: 1_000, jitter: 0, clock });
    r.start();
    for (let k = 0; k < 3; k++) {
      await flush();
      clock.advance(1_000);
    }
    await flush();
    expect(r.stats).toEqual({ refreshes: 3, failures: 3 });
    await r.stop();
  });

  it('stop() cancels a refresh in flight and ends a wait at once, even on a clock that ignores signals', async () => {
    const clock = new ManualClock();
    const source = new ScriptedSource();
    const r = new TopologyRefresher({ source, intervalMs: 1_000, jitter: 0, clock });
    r.start();
    await flush();
    clock.advance(1_000);
    await flush();
    expect(source.signals[0]?.aborted).toBe(false);
    const stopping = r.stop();
    expect(source.signals[0]?.aborted).toBe(true);
    await stopping; // even though this source never answers its cancelled call
    expect(r.state).toBe('stopped');
    expect(r.stats.refreshes).toBe(0);

    const idle = new TopologyRefresher({ source: new ScriptedSource(), intervalMs: 1_000, clock });
    idle.start();
    await flush();
    await idle.stop(); // waiting on ManualClock, which never fires by itself
    expect(idle.state).toBe('stopped');
  });
});
