import { errorMessage } from '../../core/errors.js';
import { systemClock } from '../../core/clock.js';
import type { RdsApi } from '../../aws/rds-api.js';
import { createRdsApi } from '../../aws/rds-sdk-api.js';
import type { TopologySource } from '../topology/cluster-topology.js';
import { topologySourceFor } from '../topology/topology-sources.js';
import { TopologyRefresher } from '../topology/topology-refresher.js';
import type { FleetConfig } from '../../core/config-schema.js';
import type { Logger } from '../../core/logger.js';
import type { Host } from '../../host/host.js';
import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';
import type { Decision } from '../decide/decision.js';
import { decidePolicyFrom } from '../decide/decide-policy.js';
import { LeaseKeeper } from '../lease/lease-keeper.js';
import type { ProberConnectors } from '../probe/instance-prober.js';
import { ClusterWorker } from './cluster-worker.js';
import { DnsGateway } from './dns-gateway.js';
import { timelineOffsets, type FailoverTimeline } from './failover-timeline.js';
import { startHttpEndpoint } from './http-endpoint.js';
import { checkerMetrics } from './metrics.js';
import { ensureStatusTables, publishStatus, recordTimeline } from './status-store.js';

export type CheckerState = 'starting' | 'running' | 'draining' | 'stopped' | 'failed';

export interface CheckerServiceOptions {
  config: FleetConfig;
  /** The MyDNS database, password included. */
  dnsEndpoint: Endpoint;
  credentials: { user: string; password: string | undefined };
  /** Unique per process: host, pid and a random suffix. */
  checkerId: string;
  logger: Logger;
  host: Host;
  connectors: ProberConnectors;
  openSession: (endpoint: Endpoint, timeouts: Timeouts) => Promise<SqlSession>;
  /** For `checker once --dry-run`: decide, never write. */
  dryRun?: boolean;
  /** The RDS API for a region, for clusters with `discover:` (tests inject a recorded one). */
  rdsFor?: (region: string) => Pick<RdsApi, 'describeAuroraCluster'>;
}

/**
 * Status is published every few seconds (a fleet's snapshot is large: thousands of instances);
 * records are re-read every few seconds to see operators' edits.
 */
const STATUS_EVERY_MS = 3_000;
const RECORDS_EVERY_MS = 2_000;
export const LEASE_NAME = 'failover-checker';

/**
 * The failover checker service: one worker per cluster, one MyDNS gateway, one lease. Its
 * lifecycle is explicit (starting -> running -> draining -> stopped, or failed), every state change
 * is logged, and only the lease holder writes DNS.
 */
export class CheckerService {
  private stateValue: CheckerState = 'starting';
  private readonly workers: ClusterWorker[];
  private readonly gateway: DnsGateway;
  private readonly lease: LeaseKeeper;
  readonly metrics = checkerMetrics();
  private readonly timers = new Set<NodeJS.Timeout>();
  private http: { port: number; close: () => Promise<void> } | undefined;
  private readonly recent: FailoverTimeline[] = [];
  private readonly log: Logger;
  private statusSession: SqlSession | undefined;
  private readonly sources: TopologySource[];
  private readonly refreshers: TopologyRefresher[] = [];

  constructor(private readonly o: CheckerServiceOptions) {
    this.log = o.logger.child({ checker: o.checkerId });
    const c = o.config.checker;
    const q = { connectTimeoutMs: c.connect_timeout_ms, queryTimeoutMs: Math.max(c.query_timeout_ms, 1_000) };
    // A checker that dies (or is paused) inside a DNS transaction must not hold the zone and lease
    // row locks for the server's default 8 h: the server ends such a session after a few lease
    // TTLs of silence, rolling back. The checker's own sessions are never that idle (renewals,
    // record refreshes) and reconnect by themselves if they are.
    const idleS = Math.max(10, Math.ceil((3 * c.lease_ttl_ms) / 1000));
    const connectDns = async (): Promise<SqlSession> => {
      const s = await o.openSession(o.dnsEndpoint, q);
      try {
        await s.query(`SET SESSION wait_timeout = ${idleS}, innodb_lock_wait_timeout = 1`, [], { timeoutMs: q.queryTimeoutMs });
      } catch (e) {
        s.destroy();
        throw e;
      }
      return s;
    };
    this.lease = new LeaseKeeper({
      name: LEASE_NAME,
      holder: o.checkerId,
      ttlMs: c.lease_ttl_ms,
      connect: connectDns,
      queryTimeoutMs: q.queryTimeoutMs,
      logger: this.log,
      onChange: (held) => this.metrics.leaseHeld.set({ checker: o.checkerId }, held ? 1 : 0),
    });
    this.gateway = new DnsGateway({
      zone: o.config.dns.zone,
      connect: connectDns,
      queryTimeoutMs: q.queryTimeoutMs,
      actor: `checker ${o.checkerId}`,
      fence: () => this.lease.fence(),
      active: () => this.lease.held && !o.dryRun,
      dnsServer: o.config.dns.server,
      logger: this.log,
      dryRun: o.dryRun ?? false,
      recordWeight: this.metrics.recordWeight,
    });
    const policy = decidePolicyFrom(c);
    const rdsApis = new Map<string, Pick<RdsApi, 'describeAuroraCluster'>>();
    const rdsFor = o.rdsFor ?? ((region: string) => {
      let api = rdsApis.get(region);
      if (!api) {
        api = createRdsApi({ region });
        rdsApis.set(region, api);
      }
      return api;
    });
    this.sources = o.config.clusters.map((cluster) => topologySourceFor(cluster, { clock: systemClock, logger: this.log, rdsFor }));
    this.workers = o.config.clusters.map(
      (cluster, k) =>
        new ClusterWorker({
          cluster,
          topology: this.sources[k] as TopologySource,
          checker: c,
          policy,
          credentials: o.credentials,
          connectors: o.connectors,
          gateway: this.gateway,
          metrics: this.metrics,
          logger: this.log,
          host: o.host,
          onTimeline: (t) => this.onTimeline(t),
          secrets: [o.dnsEndpoint.password, o.credentials.password].filter((x): x is string => typeof x === 'string'),
        }),
    );
  }

  get state(): CheckerState {
    return this.stateValue;
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  get active(): boolean {
    return this.lease.held;
  }

  private setState(next: CheckerState, detail?: Record<string, unknown>): void {
    const from = this.stateValue;
    this.stateValue = next;
    this.log[next === 'failed' ? 'error' : 'info']({ from, to: next, ...detail }, `checker ${next}`);
  }

  /** Reads the records, takes or waits for the lease, and starts every cluster's probes. */
  async start(): Promise<void> {
    const c = this.o.config.checker;
    try {
      await this.gateway.use((s) => ensureStatusTables(s, { timeoutMs: 5_000 }));
      await this.gateway.refreshAll();
      await this.loadTopologies();
      await this.lease.start();
      for (const w of this.workers) w.start();
      this.every(RECORDS_EVERY_MS, () => this.gateway.refreshAll());
      this.every(STATUS_EVERY_MS, () => this.publish());
      if (c.http_port > 0) {
        this.http = await startHttpEndpoint({
          address: c.http_address,
          port: c.http_port,
          metrics: () => {
            const m = process.memoryUsage();
            this.metrics.processMemory.set({ kind: 'rss' }, m.rss);
            this.metrics.processMemory.set({ kind: 'heap_used' }, m.heapUsed);
            this.metrics.processMemory.set({ kind: 'heap_total' }, m.heapTotal);
            this.metrics.processMemory.set({ kind: 'external' }, m.external);
            this.metrics.processMemory.set({ kind: 'array_buffers' }, m.arrayBuffers);
            return this.metrics.registry.render();
          },
          health: () => ({ ok: this.stateValue === 'running', body: { state: this.stateValue, active: this.lease.held, checker: this.o.checkerId } }),
        });
      }
      this.setState('running', { clusters: this.workers.length, instances: this.o.config.clusters.reduce((n, x) => n + (x.instances?.length ?? 0), 0), active: this.lease.held, http: this.http?.port ?? null });
    } catch (e) {
      this.setState('failed', { err: errorMessage(e) });
      await this.stop({ release: true }).catch(() => undefined);
      this.stateValue = 'failed';
      throw e;
    }
  }

  /**
   * Loads every discovered topology once (in parallel, bounded) and starts their refreshers. A
   * cluster whose discovery fails at start is logged and left unwatched until a refresh succeeds;
   * it never stops the checker from watching the others.
   */
  private async loadTopologies(): Promise<void> {
    const c = this.o.config.checker;
    await Promise.all(
      this.sources.map(async (source) => {
        if (source.current().source === 'static') return;
        const result = await source.refresh(AbortSignal.timeout(10_000));
        if (!result.ok) this.log.error({ cluster: source.cluster, err: result.error.message, code: result.error.code }, 'topology discovery failed; the cluster is not watched until a refresh succeeds');
        else this.log.info({ cluster: source.cluster, instances: result.topology.instances.map((i) => i.id) }, 'topology discovered');
        const refresher = new TopologyRefresher({ source, intervalMs: c.topology_refresh_ms, clock: systemClock, logger: this.log });
        refresher.start();
        this.refreshers.push(refresher);
      }),
    );
  }

  /**
   * Graceful stop: stop probing, give the lease up (a standby takes over at once), publish a
   * last status, close every connection. Bounded by the caller's deadline (see run-checker).
   */
  async stop(options: { release: boolean }): Promise<void> {
    if (this.stateValue === 'stopped') return;
    if (this.stateValue !== 'failed') this.setState('draining');
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all(this.refreshers.map((r) => r.stop()));
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.lease.stop(options.release);
    await this.publish().catch(() => undefined);
    await this.statusSession?.close().catch(() => undefined);
    await this.gateway.close();
    await this.http?.close();
    if (this.stateValue !== 'failed') this.setState('stopped');
  }

  /** `checker once`: one probe of every instance and one decision per cluster. */
  async once(): Promise<Decision[]> {
    await this.gateway.refreshAll();
    await Promise.all(this.sources.map((s) => (s.current().source === 'static' ? undefined : s.refresh(AbortSignal.timeout(10_000)))));
    if (!this.o.dryRun) await this.lease.tick();
    const decisions = await Promise.all(this.workers.map((w) => w.once()));
    return decisions;
  }

  /** Applies decisions made by once() (when not a dry run and the lease is ours). */
  async apply(decisions: readonly Decision[]): Promise<{ cluster: string; applied: boolean; error?: string }[]> {
    const out: { cluster: string; applied: boolean; error?: string }[] = [];
    for (const d of decisions) {
      if (d.changeSet.length === 0) continue;
      if (!this.gateway.active()) {
        out.push({ cluster: d.cluster, applied: false, error: `not applied: this checker does not hold the lease (holder: ${this.lease.holder || 'none'})` });
        continue;
      }
      try {
        await this.gateway.apply(d.changeSet, `checker once: ${d.situation.kind}: ${d.reasons.join('; ')}`);
        out.push({ cluster: d.cluster, applied: true });
      } catch (e) {
        out.push({ cluster: d.cluster, applied: false, error: errorMessage(e) });
      }
    }
    await this.lease.stop(true);
    return out;
  }

  snapshot(): unknown {
    return {
      checker: this.o.checkerId,
      state: this.stateValue,
      active: this.lease.held,
      lease_holder: this.lease.holder || null,
      clusters: this.workers.map((w) => w.snapshot()),
      recent_failovers: this.recent.map((t) => ({ ...t, offsets_ms: timelineOffsets(t) })),
    };
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const loop = (): void => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void fn()
          .catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'periodic task failed'))
          .finally(() => {
            if (this.stateValue === 'running' || this.stateValue === 'starting') loop();
          });
      }, ms);
      this.timers.add(t);
    };
    loop();
  }

  private async publish(): Promise<void> {
    const c = this.o.config.checker;
    try {
      this.statusSession ??= await this.o.openSession(this.o.dnsEndpoint, { connectTimeoutMs: c.connect_timeout_ms, queryTimeoutMs: 2_000 });
      await publishStatus(this.statusSession, this.o.checkerId, this.lease.held, this.stateValue, this.snapshot(), { timeoutMs: 2_000 });
    } catch (e) {
      this.statusSession?.destroy();
      this.statusSession = undefined;
      throw e;
    }
  }

  private onTimeline(t: FailoverTimeline): void {
    this.recent.unshift(t);
    this.recent.length = Math.min(this.recent.length, 20);
    const offsets = timelineOffsets(t);
    for (const [stage, ms] of Object.entries(offsets)) this.metrics.failoverStage.set({ cluster: t.cluster, stage }, ms);
    void this.gateway.use((s) => recordTimeline(s, this.o.checkerId, t, { timeoutMs: 2_000 })).catch((e: unknown) => this.log.warn({ err: errorMessage(e) }, 'could not store the failover timeline'));
  }
}
