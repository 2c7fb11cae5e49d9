import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { RefreshResult, TopologySource } from './cluster-topology.js';

export interface TopologyRefresherOptions {
  source: TopologySource;
  /** checker.topology_refresh_ms */
  intervalMs: number;
  /** Each wait is intervalMs × (1 ± jitter), so a fleet of clusters does not call RDS in step. */
  jitter?: number;
  clock: Clock;
  random?: () => number;
  logger?: Logger;
  onResult?: (result: RefreshResult) => void;
}

export type RefresherState = 'idle' | 'running' | 'stopping' | 'stopped';

/**
 * Refreshes one topology source every `intervalMs` (with jitter). One loop, one refresh at a
 * time: a slow refresh delays the next one and never overlaps it. The first refresh comes one
 * interval after start(): load the topology before (loadTopology) so the checker starts with it.
 */
export class TopologyRefresher {
  private stateValue: RefresherState = 'idle';
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private counts = { refreshes: 0, failures: 0 };
  private readonly log: Logger;

  constructor(private readonly options: TopologyRefresherOptions) {
    this.log = (options.logger ?? silentLogger).child({ cluster: options.source.cluster, component: 'topology-refresher' });
  }

  get state(): RefresherState {
    return this.stateValue;
  }

  get stats(): { refreshes: number; failures: number } {
    return { ...this.counts };
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'running';
    this.log.debug({ intervalMs: this.options.intervalMs }, 'topology refresher running');
    this.loop = this.run();
  }

  /** Stops the loop, cancelling a refresh in flight, and waits until it has ended. */
  async stop(): Promise<void> {
    if (this.stateValue === 'idle') {
      this.stateValue = 'stopped';
      return;
    }
    if (this.stateValue === 'running') this.stateValue = 'stopping';
    this.stopper.abort();
    await this.loop;
    this.stateValue = 'stopped';
  }

  nextDelayMs(): number {
    const jitter = Math.min(Math.max(this.options.jitter ?? 0.2, 0), 0.9);
    const r = (this.options.random ?? Math.random)();
    return Math.round(this.options.intervalMs * (1 - jitter + 2 * jitter * r));
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      await this.pause(this.nextDelayMs());
      if (signal.aborted) break;
      let result: RefreshResult | undefined;
      try {
        result = await this.untilStopped(this.options.source.refresh(signal));
      } catch (e) {
        // a source must not reject; if one does, the loop still goes on
        this.counts.failures++;
        this.log.error({ err: errorMessage(e) }, 'topology source threw; will try again next interval');
        continue;
      }
      if (signal.aborted || result === undefined) break;
      this.counts.refreshes++;
      if (!result.ok) this.counts.failures++;
      this.options.onResult?.(result);
    }
  }

  /** `work`, or undefined as soon as stop() is called: a source that ignores its signal must not hold stop() up. */
  private untilStopped<T>(work: Promise<T>): Promise<T | undefined> {
    const signal = this.stopper.signal;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([work, stopped]).finally(() => {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    });
  }

  /** Sleeps on the injected clock; stop() ends the sleep at once even if the clock ignores signals. */
  private pause(ms: number): Promise<void> {
    const signal = this.stopper.signal;
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.options.clock.sleep(ms, signal).then(done, done);
    });
  }
}
