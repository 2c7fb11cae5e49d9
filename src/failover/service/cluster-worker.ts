import { errorMessage, isDbfleetError } from '../../core/errors.js';
import type { CheckerSection, ClusterConfig } from '../../core/config-schema.js';
import type { Logger } from '../../core/logger.js';
import type { Host } from '../../host/host.js';
import type { Flavor } from '../../mysql/admin.js';
import type { ChangeSet } from '../../dns/change-set.js';
import type { NameState } from '../../dns/record-types.js';
import { decideCluster } from '../decide/decide-cluster.js';
import type { Decision as ClusterDecision } from '../decide/decision.js';
import type { ClusterMemory, ClusterTopology } from '../decide/cluster-input.js';
import type { DecidePolicy } from '../decide/decide-policy.js';
import { observe, observeUncounted, type InstanceHealth } from '../decide/instance-health.js';
import { probeSucceeded, type ProbeObservation } from '../decide/probe-observation.js';
import { InstanceProber, type ProberConnectors } from '../probe/instance-prober.js';
import type { FailoverTimeline } from './failover-timeline.js';
import type { ClusterTopology as WatchedTopology, TopologyInstance, TopologySource } from '../topology/cluster-topology.js';
import { runHook, type HookSpec } from './hook-runner.js';
import type { checkerMetrics } from './metrics.js';

/** What a cluster worker needs from the service: the MyDNS records and the right to change them. */
export interface RecordGateway {
  /** The cluster's two names as last read (undefined until the first read). */
  records(writerName: string, readerName: string): { writer: NameState; reader: NameState } | undefined;
  /** Applies a change set in one fenced transaction and refreshes the names it touched. */
  apply(changes: ChangeSet, why: string): Promise<{ serial: number }>;
  /** Addresses an operator drained under the reader name: held at weight 0, never restored. */
  drained(readerName: string): string[];
  /** Re-reads the names from the database (after a conflict). */
  refresh(names: readonly string[]): Promise<void>;
  /** True while this checker holds the lease and may write. */
  active(): boolean;
  /** The addresses DNS answers for a name (undefined when no DNS server is configured). */
  answers?(name: string): Promise<string[]>;
}

export interface ClusterWorkerOptions {
  cluster: ClusterConfig;
  /** Which instances to watch: the config's list, or RDS discovery (read from its cache each tick). */
  topology: TopologySource;
  checker: CheckerSection;
  policy: DecidePolicy;
  credentials: { user: string; password: string | undefined };
  connectors: ProberConnectors;
  gateway: RecordGateway;
  metrics: ReturnType<typeof checkerMetrics>;
  logger: Logger;
  host: Host;
  now?: () => number;
  onTimeline?: (t: FailoverTimeline) => void;
  /** Passwords to scrub from hook output before it is logged. */
  secrets?: readonly string[];
}

const FLAVOR: Record<ClusterConfig['engine'], Flavor> = { 'aurora-mysql': 'aurora-mysql', mysql: 'mysql', mariadb: 'mariadb' };

/**
 * Watches one cluster: probes each instance on its own timer, folds probes into health, decides
 * (pure core) whenever something changed or once per interval, and applies the decision through
 * the gateway. Keeps the failover timeline of the change in progress.
 */
export class ClusterWorker {
  readonly name: string;
  private topology: ClusterTopology;
  private watched: WatchedTopology | undefined;
  private readonly instanceConfig = new Map<string, TopologyInstance>();
  private started = false;
  private readonly probers = new Map<string, InstanceProber>();
  private readonly observations: Record<string, ProbeObservation | undefined> = {};
  private readonly health: Record<string, InstanceHealth> = {};
  private memory: ClusterMemory = {};
  private lastDecision: ClusterDecision | undefined;
  private lastRecords: { writer: NameState; reader: NameState } | undefined;
  private activeAlerts = new Map<string, { code: string; message: string }>();
  private readonly writableSince = new Map<string, number>();
  /** Instances with a probe running now (a probe never overlaps another of the same instance). */
  private readonly inFlight = new Set<string>();
  private timeline: FailoverTimeline | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private evaluating = false;
  private dirty = false;
  private stopped = false;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly labels = new Map<string, { cluster: string; instance: string }>();
  private readonly clusterLabels: { cluster: string };

  constructor(private readonly o: ClusterWorkerOptions) {
    this.name = o.cluster.name;
    this.clusterLabels = { cluster: o.cluster.name };
    this.now = o.now ?? Date.now;
    this.log = o.logger.child({ cluster: o.cluster.name });
    this.topology = { name: o.cluster.name, writerName: o.cluster.writer_record, readerName: o.cluster.reader_record, instances: [] };
    this.syncTopology();
  }

  /**
   * Follows the topology source: new instances (an auto-scaled reader) get a prober, removed ones
   * lose theirs, moved ones get a new one. Cheap when nothing changed (the source hands back the
   * same frozen object). Until a discovered topology has loaded once, nothing is watched.
   */
  private syncTopology(): void {
    const t: WatchedTopology = this.o.topology.current();
    if (t === this.watched) return;
    this.watched = t;
    const next = new Map(t.instances.map((i) => [i.id, i]));
    for (const [id, prober] of this.probers) {
      const now = next.get(id);
      const before = this.instanceConfig.get(id);
      if (!now || !before || now.host !== before.host || now.port !== before.port) {
        this.probers.delete(id);
        this.instanceConfig.delete(id);
        delete this.observations[id];
        delete this.health[id];
        void prober.close();
        if (!now) {
          this.log.info({ instance: id, address: before?.host }, 'instance left the topology');
          this.o.metrics.instanceUp.deleteMatching({ cluster: this.name, instance: id });
          this.o.metrics.instanceWritable.deleteMatching({ cluster: this.name, instance: id });
        }
      }
    }
    for (const i of t.instances) {
      if (this.probers.has(i.id)) continue;
      this.probers.set(i.id, this.newProber(i));
      this.instanceConfig.set(i.id, i);
      if (this.started) {
        this.log.info({ instance: i.id, address: i.host }, 'instance joined the topology');
        this.loopProbe(i.id, this.probers.get(i.id) as InstanceProber);
      }
    }
    this.topology = { ...this.topology, instances: t.instances.map((i) => ({ id: i.id, address: i.host })) };
  }

  private newProber(i: TopologyInstance): InstanceProber {
    const o = this.o;
    return new InstanceProber(
      {
        instanceId: i.id,
        endpoint: { host: i.host, port: i.port, user: o.credentials.user, password: o.credentials.password },
        flavor: FLAVOR[o.cluster.engine],
        timeouts: { connectTimeoutMs: o.checker.connect_timeout_ms, queryTimeoutMs: o.checker.query_timeout_ms },
        newConnectionEvery: o.checker.new_connection_every,
        now: this.now,
        logger: this.log,
      },
      o.connectors,
    );
  }

  /** Starts one probe loop per instance and the per-interval decision timer. */
  start(): void {
    this.started = true;
    for (const [id, prober] of this.probers) this.loopProbe(id, prober);
    const tick = (): void => {
      if (this.stopped) return;
      this.syncTopology();
      // Probes that change something decide at once (kick in loopProbe). The periodic decision
      // is only needed while something is pending: a change set that failed, a hold that will
      // expire, records the gateway re-read. A healthy, unchanged cluster costs nothing here.
      const pending = this.lastDecision === undefined || this.lastDecision.changeSet.length > 0 || this.memory.hold !== undefined || this.recordsChanged();
      if (pending) this.kick();
      this.later(tick, this.o.checker.interval_ms);
    };
    this.later(tick, this.o.checker.interval_ms);
  }

  /** One pass without timers (`checker once`): probe every instance once, then decide. */
  async once(): Promise<ClusterDecision> {
    this.syncTopology();
    await Promise.all([...this.probers].map(async ([id, p]) => this.record(id, await p.probe())));
    return this.decide();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([...this.probers.values()].map((p) => p.close()));
  }

  /** What status shows for this cluster. */
  snapshot(): unknown {
    return {
      cluster: this.name,
      situation: this.lastDecision?.situation ?? null,
      readers: this.lastDecision?.readers ?? null,
      hold: this.memory.hold ?? null,
      alerts: [...this.activeAlerts.values()],
      last_flip: this.memory.lastFlip ?? null,
      instances: this.topology.instances.map((i) => {
        const obs = this.observations[i.id];
        const h = this.health[i.id];
        return { id: i.id, address: i.address, health: h?.state ?? 'joining', role: obs?.role ?? null, ok: obs?.ok ?? null, latency_ms: obs ? Math.round(obs.latencyMs) : null, error: obs?.error ?? null, version: obs?.version ?? null };
      }),
      failover_in_progress: this.timeline ?? null,
    };
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private loopProbe(id: string, prober: InstanceProber): void {
    if (this.stopped || this.probers.get(id) !== prober) return; // stopped, or the instance left
    if (this.inFlight.has(id)) {
      // an out-of-band recheck is running; its result counts as this round's probe
      this.later(() => this.loopProbe(id, prober), 10);
      return;
    }
    const started = performance.now();
    this.inFlight.add(id);
    void prober.probe().then((obs) => {
      this.inFlight.delete(id);
      if (this.stopped || this.probers.get(id) !== prober) return;
      const changed = this.record(id, obs);
      // A recheck of older writable answers decides when it lands; deciding now would see the
      // old writer's stale answer and cry split brain for a few milliseconds.
      const rechecking = obs.ok && obs.role === 'writer' && this.recheckOtherWriters(id, obs.at);
      // Until every instance has answered once, a decision would see a half-probed cluster.
      if (changed && !rechecking && this.topology.instances.every((i) => this.observations[i.id] !== undefined)) this.kick();
      const wait = Math.max(0, this.o.checker.interval_ms - (performance.now() - started));
      this.later(() => this.loopProbe(id, prober), wait);
    });
  }

  /**
   * A new writable answer while another instance's latest (older) answer also says writable is
   * either a failover in progress or a split brain. Ask the others again now rather than at their
   * next timer: that settles which within milliseconds instead of up to one interval.
   */
  private recheckOtherWriters(id: string, at: number): boolean {
    let started = false;
    for (const other of this.topology.instances) {
      if (other.id === id || this.inFlight.has(other.id)) continue;
      const o = this.observations[other.id];
      if (!o || o.role !== 'writer' || o.at >= at) continue;
      const prober = this.probers.get(other.id);
      if (!prober) continue;
      this.inFlight.add(other.id);
      started = true;
      void prober.probe().then((obs) => {
        this.inFlight.delete(other.id);
        // the instance may have left (or moved) while it was probed
        if (this.stopped || this.probers.get(other.id) !== prober) return;
        this.record(other.id, obs);
        this.kick();
      });
    }
    return started;
  }

  /** Folds a probe in; true when it changed something a decision depends on. */
  private record(id: string, obs: ProbeObservation): boolean {
    const prev = this.observations[id];
    const prevHealth = this.health[id];
    this.observations[id] = obs;
    // Probes run on independent timers, so a "blackout round" is: this probe failed and every other
    // instance's latest probe failed too. Such failures say more about the checker's own network than
    // about the instances; counting them would drain the whole pool when the network comes back.
    const blackout =
      !probeSucceeded(obs) && this.topology.instances.length > 1 && this.topology.instances.every((i) => i.id === id || (this.observations[i.id] !== undefined && !probeSucceeded(this.observations[i.id]!)));
    const h = blackout ? observeUncounted(prevHealth, obs) : observe(prevHealth, obs, this.o.policy);
    // mutated in place: decisions read it synchronously and keep nothing of it
    this.health[id] = h;
    if (obs.role === 'writer' && obs.ok) {
      if (!this.writableSince.has(id)) this.writableSince.set(id, obs.at);
    } else this.writableSince.delete(id);
    this.trackWriterLoss(id, obs);
    const m = this.o.metrics;
    const labels = this.labels.get(id) ?? { cluster: this.name, instance: id };
    this.labels.set(id, labels);
    m.probeLatency.observe(this.clusterLabels, obs.latencyMs);
    if (!obs.ok) m.probeFailures.inc(labels);
    m.instanceUp.set(labels, h.state === 'up' ? 1 : 0);
    m.instanceWritable.set(labels, obs.role === 'writer' ? 1 : 0);
    return prev?.ok !== obs.ok || prev?.role !== obs.role || prevHealth?.state !== h.state || prev?.newConnectionOk !== obs.newConnectionOk;
  }

  /** Opens a timeline at the first failed or read-only probe of the instance the writer record names. */
  private trackWriterLoss(id: string, obs: ProbeObservation): void {
    const recs = this.o.gateway.records(this.topology.writerName, this.topology.readerName);
    const writerAddress = recs?.writer.records[0]?.address;
    const inst = this.topology.instances.find((i) => i.id === id);
    if (!inst || inst.address !== writerAddress) return;
    const lost = !obs.ok || obs.role !== 'writer';
    if (lost && !this.timeline) this.timeline = { cluster: this.name, from: writerAddress, to: '', firstFailedProbe: obs.at };
    else if (!lost && this.timeline && this.timeline.to === '') this.timeline = undefined; // a blip: it came back as the writer
  }

  /** Runs a decision now, or right after the one in progress. */
  private kick(): void {
    // a discovered cluster whose topology never loaded: nothing is known, nothing is decided
    if (this.o.topology.current().fetchedAt === null) return;
    if (this.evaluating) {
      this.dirty = true;
      return;
    }
    this.evaluating = true;
    void this.evaluate().finally(() => {
      this.evaluating = false;
      if (this.dirty && !this.stopped) {
        this.dirty = false;
        this.kick();
      }
    });
  }

  /** True when the gateway's records for this cluster are not the ones the last decision saw. */
  private recordsChanged(): boolean {
    const r = this.o.gateway.records(this.topology.writerName, this.topology.readerName);
    return r?.writer !== this.lastRecords?.writer || r?.reader !== this.lastRecords?.reader;
  }

  private decide(): ClusterDecision {
    this.lastRecords = this.o.gateway.records(this.topology.writerName, this.topology.readerName);
    const records = this.o.gateway.records(this.topology.writerName, this.topology.readerName) ?? { writer: { name: this.topology.writerName, role: undefined, records: [] }, reader: { name: this.topology.readerName, role: undefined, records: [] } };
    const decision = decideCluster({ cluster: this.topology, observations: this.observations, health: this.health, records, policy: this.o.policy, memory: this.memory, now: this.now(), drained: this.o.gateway.drained(this.topology.readerName) });
    this.memory = decision.memory;
    const wantView = decision.situation.kind !== 'Healthy';
    for (const p of this.probers.values()) p.wantWriterView = wantView;
    const previous = this.lastDecision;
    this.lastDecision = decision;
    if (previous?.situation.kind !== decision.situation.kind) {
      const level = decision.situation.kind === 'Healthy' || decision.situation.kind === 'NotProbedYet' ? 'info' : 'warn';
      this.log[level]({ situation: decision.situation, reasons: decision.reasons }, `cluster situation: ${decision.situation.kind}`);
      if (level === 'warn') this.o.metrics.situations.inc({ cluster: this.name, situation: decision.situation.kind });
    }
    // Alerts are levels, raised on every tick while they hold: log when one is raised or cleared.
    const now = new Map(decision.alerts.map((a) => [a.code, a]));
    for (const a of decision.alerts) {
      if (this.activeAlerts.has(a.code)) continue;
      const fn = a.severity === 'critical' || a.severity === 'error' ? 'error' : a.severity === 'warning' ? 'warn' : 'info';
      this.log[fn]({ alert: a.code, severity: a.severity, reasons: decision.reasons }, a.message);
    }
    for (const code of this.activeAlerts.keys()) if (!now.has(code)) this.log.info({ alert: code }, 'alert cleared');
    this.activeAlerts = now;
    this.o.metrics.holds.set({ cluster: this.name }, this.memory.hold ? 1 : 0);
    return decision;
  }

  private async evaluate(): Promise<void> {
    const decision = this.decide();
    if (decision.changeSet.length === 0) return;
    if (!this.o.gateway.active()) {
      this.log.debug({ changeSet: decision.changeSet }, 'standby: a change is due; the active checker makes it');
      return;
    }
    const flip = decision.changeSet.find((c) => c.op === 'replace-writer');
    const decidedAt = this.now();
    if (flip && flip.op === 'replace-writer') {
      const toId = this.topology.instances.find((i) => i.address === flip.address)?.id;
      this.timeline = {
        ...(this.timeline ?? { cluster: this.name, from: flip.expect.address }),
        to: flip.address,
        newWriterSeen: toId ? this.writableSince.get(toId) : undefined,
        decision: decidedAt,
      };
      await this.hook('before_writer_change', flip.expect.address, flip.address);
    }
    let apply = decision;
    if (flip && flip.op === 'replace-writer' && this.o.checker.hooks.before_writer_change) {
      // the hook took time: decide again, and go on only if the same flip is still due
      apply = this.decide();
      const again = apply.changeSet.find((c) => c.op === 'replace-writer');
      if (!again || again.op !== 'replace-writer' || again.address !== flip.address) {
        this.log.warn({ wanted: flip.address, now: apply.situation }, 'the writer change is no longer due after the before-hook; not applied');
        return;
      }
    }
    try {
      const started = performance.now();
      await this.o.gateway.apply(apply.changeSet, `${apply.situation.kind}: ${apply.reasons.join('; ')}`);
      this.o.metrics.dnsWrites.inc({ cluster: this.name });
      this.o.metrics.decisionToCommit.observe({ cluster: this.name }, performance.now() - started);
      if (flip && flip.op === 'replace-writer' && this.timeline) {
        this.timeline.dnsCommitted = this.now();
        void this.finishTimeline(this.timeline, flip.address);
        this.timeline = undefined;
      }
    } catch (e) {
      this.o.metrics.dnsWriteFailures.inc({ cluster: this.name, code: isDbfleetError(e) ? e.code : 'UNKNOWN' });
      const code = isDbfleetError(e) ? e.code : undefined;
      // DNS_VERIFY_FAILED: the change committed but the rows read back differ; anything else: nothing was written
      const what = code === 'DNS_VERIFY_FAILED' ? 'dns change committed but reads back differently' : 'dns change failed; nothing was written';
      this.log.error({ err: errorMessage(e), code, changeSet: apply.changeSet }, `${what}; will decide again from what is there`);
      if (isDbfleetError(e) && e.code === 'DNS_CONFLICT') await this.o.gateway.refresh([this.topology.writerName, this.topology.readerName]).catch(() => undefined);
    }
  }

  /** Waits (bounded) for DNS to answer the new writer, runs the after-hook, then reports the timeline. */
  private async finishTimeline(t: FailoverTimeline, to: string): Promise<void> {
    if (this.o.gateway.answers) {
      const deadline = performance.now() + 5_000;
      while (performance.now() < deadline) {
        const answers = await this.o.gateway.answers(this.topology.writerName).catch(() => []);
        if (answers.length === 1 && answers[0] === to) {
          t.dnsAnswering = this.now();
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    await this.hook('after_writer_change', t.from, to, t);
    this.log.info({ timeline: t }, `failover of ${this.name}: writer record ${t.from} -> ${to}`);
    this.o.onTimeline?.(t);
  }

  private async hook(which: 'before_writer_change' | 'after_writer_change', from: string, to: string, t?: FailoverTimeline): Promise<void> {
    const spec: HookSpec | undefined = this.o.checker.hooks[which];
    if (!spec) return;
    const outcome = await runHook(this.o.host, which, spec, { DBFLEET_CLUSTER: this.name, DBFLEET_OLD_WRITER: from, DBFLEET_NEW_WRITER: to, DBFLEET_WRITER_RECORD: this.topology.writerName }, this.log, this.o.secrets ?? []);
    const target = t ?? this.timeline;
    if (target) (target.hooks ??= []).push({ hook: which, ok: outcome.ok, durationMs: outcome.durationMs });
  }
}
