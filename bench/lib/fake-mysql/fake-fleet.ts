/**
 * fake-mysql: a lightweight MySQL-protocol responder, used ONLY by the checker scale benchmark.
 *
 * Why it exists: the scale benchmark (issue 4) has one checker process watch 4,000 instances in
 * 1,000 clusters at a 1 s interval, and 4,000 real mysqld processes cannot run on this 2-core
 * machine. So each "instance" here is a listening socket in one Node process that speaks just
 * enough of the MySQL protocol for mysql2 and dbfleet's adapter to connect (v10 handshake, any
 * user and password) and run what a probe sends: the version query, the role query
 * (@@read_only / @@innodb_read_only), SELECT 1, COM_PING, COM_QUIT. Anything else gets an ERR.
 * It is not a database, not production code, and no test of dbfleet's correctness against MySQL
 * should use it: the integration tests run real mysqld. Benchmarks that use it must say so.
 *
 * Each instance has a role (writer/reader), a flavour (MySQL 8.0 or Aurora MySQL 3) and a mode
 * (up, down, hang, refuse-new), all changeable at runtime. Instances listen on distinct loopback
 * addresses 127.<octet>.<x>.<y>:3306 by default (see fleet-config.ts).
 *
 * Use it in-process (`await FakeFleet.start(config)`), or as a child process so that the
 * benchmark can measure the checker's CPU and memory apart from it: fleet-process.ts speaks a
 * line-based JSON protocol on stdin/stdout (see control.ts), and fleet-child.ts drives it.
 * Measured (measure-capacity.ts): 4,000 instances with 4,000 role queries/s and 400 new
 * connections/s cost this process about 0.12 of a core and 160 MB.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { FakeInstance } from './fake-instance.js';
import { addressOf, parseFleetConfig } from './fleet-config.js';
import { ReplyCache } from './reply-cache.js';
import type { FakeFleetConfig, FakeFleetStats, FakeInstanceInfo, FakeMode, FakeRole, InstanceChange, InstanceSelector } from './types.js';

const LOOP_RESOLUTION_MS = 10;

/** Thrown when a selector or instance id names nothing in the fleet. */
export class FakeSelectionError extends Error {
  override readonly name = 'FakeSelectionError';
}

export class FakeFleet {
  private readonly byId = new Map<string, FakeInstance>();
  private readonly startedAt = Date.now();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private closed = false;

  private constructor(
    readonly config: FakeFleetConfig,
    private readonly members: readonly FakeInstance[],
  ) {
    for (const m of members) this.byId.set(m.id, m);
    this.loopDelay.enable();
  }

  /** Validates the config, then opens every instance's port; on any failure closes them all. */
  static async start(config: Partial<FakeFleetConfig> = {}): Promise<FakeFleet> {
    const valid = parseFleetConfig(config);
    const cache = new ReplyCache();
    let connectionIds = 0;
    const nextId = (): number => (connectionIds = (connectionIds % 0x7fffffff) + 1);
    const members: FakeInstance[] = [];
    for (let c = 1; c <= valid.clusters; c++) {
      for (let i = 1; i <= valid.instancesPerCluster; i++) {
        const { host, port } = addressOf(valid.addressing, members.length);
        members.push(
          new FakeInstance(
            { id: `c${c}-i${i}`, cluster: `c${c}`, host, port, role: i === 1 ? 'writer' : 'reader', flavour: valid.flavour, backlog: valid.backlog },
            cache,
            nextId,
          ),
        );
      }
    }
    const started = await Promise.allSettled(members.map((m) => m.start()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(members.map((m) => m.close()));
      const count = started.filter((r) => r.status === 'rejected').length;
      const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      throw new Error(`fake-mysql: ${count} of ${members.length} instances could not listen; first: ${reason}`, { cause: failed.reason });
    }
    return new FakeFleet(valid, members);
  }

  /** Every instance, in address order: the benchmark writes its checker config from this. */
  list(selector: InstanceSelector = { all: true }): FakeInstanceInfo[] {
    return this.select(selector).map((m) => m.info());
  }

  instance(id: string): FakeInstanceInfo {
    return this.get(id).info();
  }

  /** Applies a role/mode/flavour change to the selected instances; returns how many. */
  async set(selector: InstanceSelector, change: InstanceChange): Promise<number> {
    const chosen = this.select(selector);
    await Promise.all(chosen.map((m) => m.apply(change)));
    return chosen.length;
  }

  /**
   * Makes `id` its cluster's only writer (every other member becomes a reader), as an Aurora
   * failover ends. Modes are untouched: to simulate the outage itself, set modes around it.
   */
  async promote(id: string): Promise<void> {
    const target = this.get(id);
    const peers = this.members.filter((m) => m.cluster === target.cluster);
    await Promise.all(peers.map((m) => m.apply({ role: m === target ? 'writer' : 'reader' })));
  }

  /** Counters of the selected instances and this process's cost; `resetEventLoop` restarts the delay histogram. */
  stats(selector: InstanceSelector = { all: true }, options: { resetEventLoop?: boolean } = {}): FakeFleetStats {
    const chosen = this.select(selector);
    const byMode: Record<FakeMode, number> = { up: 0, down: 0, hang: 0, 'refuse-new': 0 };
    const byRole: Record<FakeRole, number> = { writer: 0, reader: 0 };
    const s = { connectionsAccepted: 0, handshakes: 0, queries: 0, queryErrors: 0, pings: 0, listening: 0, connectionsOpen: 0 };
    for (const m of chosen) {
      byMode[m.mode] += 1;
      byRole[m.role] += 1;
      s.connectionsAccepted += m.counters.connectionsAccepted;
      s.handshakes += m.counters.handshakes;
      s.queries += m.counters.queries;
      s.queryErrors += m.counters.queryErrors;
      s.pings += m.counters.pings;
      s.connectionsOpen += m.openConnections;
      if (m.listening) s.listening += 1;
    }
    const cpu = process.cpuUsage();
    // The histogram's samples include its own 10 ms timer period: report only the lateness.
    const ms = (ns: number): number => Math.max(0, Math.round((ns - LOOP_RESOLUTION_MS * 1e6) / 1e4) / 100);
    const eventLoopDelayMs = { p50: ms(this.loopDelay.percentile(50)), p99: ms(this.loopDelay.percentile(99)), max: ms(this.loopDelay.max) };
    if (options.resetEventLoop) this.loopDelay.reset();
    return {
      instances: chosen.length,
      ...s,
      byMode,
      byRole,
      process: {
        pid: process.pid,
        cpuUserMs: Math.round(cpu.user / 1000),
        cpuSystemMs: Math.round(cpu.system / 1000),
        rssMb: Math.round((process.memoryUsage.rss() / 2 ** 20) * 10) / 10,
        uptimeMs: Date.now() - this.startedAt,
        eventLoopDelayMs,
      },
    };
  }

  /** Closes every port and connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loopDelay.disable();
    await Promise.all(this.members.map((m) => m.close()));
  }

  private get(id: string): FakeInstance {
    const m = this.byId.get(id);
    if (!m) throw new FakeSelectionError(`fake-mysql: no instance "${id}" (ids look like c1-i1)`);
    return m;
  }

  private select(selector: InstanceSelector): FakeInstance[] {
    if ('all' in selector) return [...this.members];
    if ('ids' in selector) return selector.ids.map((id) => this.get(id));
    const wanted = new Set(selector.clusters);
    const chosen = this.members.filter((m) => wanted.has(m.cluster));
    const found = new Set(chosen.map((m) => m.cluster));
    const missing = [...wanted].filter((c) => !found.has(c));
    if (missing.length > 0) throw new FakeSelectionError(`fake-mysql: no cluster ${missing.map((c) => `"${c}"`).join(', ')} (clusters look like c1)`);
    return chosen;
  }
}
