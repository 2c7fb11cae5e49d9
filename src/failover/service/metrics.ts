/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format. Enough for the checker's /metrics without pulling in a client library.
 */
type Labels = Readonly<Record<string, string>>;

/** Label objects are reused by callers (one per instance), so their rendered keys are cached. */
const keyCache = new WeakMap<Labels, string>();

function key(labels: Labels): string {
  const cached = keyCache.get(labels);
  if (cached !== undefined) return cached;
  const k = renderKey(labels);
  keyCache.set(labels, k);
  return k;
}

function renderKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

interface Series {
  labels: string;
  value: number;
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name ${name}`);
  }
  abstract lines(): string[];
}

export class Counter extends Metric {
  private readonly series = new Map<string, Series>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const s = this.series.get(k);
    if (s) s.value += by;
    else this.series.set(k, { labels: k, value: by });
  }
  get(labels: Labels = {}): number {
    return this.series.get(key(labels))?.value ?? 0;
  }
  lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${s.labels ? `{${s.labels}}` : ''} ${s.value}`);
  }
}

export class Gauge extends Metric {
  private readonly series = new Map<string, Series>();
  constructor(name: string, help: string) {
    super(name, help, 'gauge');
  }
  set(labels: Labels, value: number): void {
    const k = key(labels);
    const s = this.series.get(k);
    if (s) s.value = value;
    else this.series.set(k, { labels: k, value });
  }
  /** Drops every series whose labels include these (e.g. an instance that left the topology). */
  deleteMatching(labels: Labels): void {
    const parts = key(labels).split(',');
    for (const [k] of this.series) if (parts.every((p) => k.split(',').includes(p))) this.series.delete(k);
  }
  get(labels: Labels = {}): number | undefined {
    return this.series.get(key(labels))?.value;
  }
  lines(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${s.labels ? `{${s.labels}}` : ''} ${s.value}`);
  }
}

export class Histogram extends Metric {
  private readonly series = new Map<string, { labels: string; counts: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels, value: number): void {
    const k = key(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: k, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= (this.buckets[i] as number)) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count += 1;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      const pre = s.labels ? `${s.labels},` : '';
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${pre}le="${b}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${pre}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${s.labels ? `{${s.labels}}` : ''} ${s.sum}`);
      out.push(`${this.name}_count${s.labels ? `{${s.labels}}` : ''} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return `${this.metrics.map((m) => [`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.lines()].join('\n')).join('\n')}\n`;
  }
}

const MS_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/** The checker's metrics, by name. */
export function checkerMetrics(): {
  registry: Registry;
  probeLatency: Histogram;
  probeFailures: Counter;
  instanceUp: Gauge;
  instanceWritable: Gauge;
  recordWeight: Gauge;
  dnsWrites: Counter;
  dnsWriteFailures: Counter;
  decisionToCommit: Histogram;
  failoverStage: Gauge;
  leaseHeld: Gauge;
  roundDuration: Histogram;
  situations: Counter;
  holds: Gauge;
  processMemory: Gauge;
} {
  const r = new Registry();
  return {
    registry: r,
    probeLatency: r.register(new Histogram('dbfleet_probe_latency_ms', 'Latency of instance probes in milliseconds', MS_BUCKETS)),
    probeFailures: r.register(new Counter('dbfleet_probe_failures_total', 'Failed instance probes')),
    instanceUp: r.register(new Gauge('dbfleet_instance_up', '1 when the instance is up by the checker hysteresis, else 0')),
    instanceWritable: r.register(new Gauge('dbfleet_instance_writable', '1 when the latest probe saw the instance writable')),
    recordWeight: r.register(new Gauge('dbfleet_record_weight', 'Weight of an address under a MyDNS name, as last read or written')),
    dnsWrites: r.register(new Counter('dbfleet_dns_writes_total', 'Change sets committed to MyDNS')),
    dnsWriteFailures: r.register(new Counter('dbfleet_dns_write_failures_total', 'Change sets that failed to commit (conflict, lease lost, database error)')),
    decisionToCommit: r.register(new Histogram('dbfleet_decision_to_commit_ms', 'Time from a decision to its DNS commit, in milliseconds', MS_BUCKETS)),
    failoverStage: r.register(new Gauge('dbfleet_failover_stage_ms', 'Per-stage timings of the latest failover of each cluster, ms after the first failed probe')),
    leaseHeld: r.register(new Gauge('dbfleet_lease_held', '1 when this checker holds the lease and acts; 0 when it is a standby')),
    roundDuration: r.register(new Histogram('dbfleet_round_ms', 'Duration of a probe round over every instance, in milliseconds', MS_BUCKETS)),
    situations: r.register(new Counter('dbfleet_situations_total', 'Cluster situations detected (non-healthy ones)')),
    holds: r.register(new Gauge('dbfleet_hold_active', '1 while a cluster has an anti-flapping hold')),
    processMemory: r.register(new Gauge('dbfleet_process_memory_bytes', 'Memory of the checker process (rss, heap_used, heap_total, external, array_buffers)')),
  };
}
