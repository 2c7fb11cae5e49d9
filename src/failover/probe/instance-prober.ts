import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Endpoint, Flavor, MysqlAdmin, Role, SqlSession, Timeouts } from '../../mysql/admin.js';
import { parseReplicaHostStatus, replicaHostStatusSql, writerFromReplicaHostStatus } from '../topology/replica-host-status.js';

/** What one probe of one instance saw. Plain data: the decision core consumes it. */
export interface ProbeResult {
  instanceId: string;
  address: string;
  /** Wall-clock ms when the probe finished. */
  at: number;
  ok: boolean;
  role?: Role;
  latencyMs: number;
  error?: string;
  /** Set on probes that also opened a fresh connection; false = new connections are refused. */
  newConnectionOk?: boolean;
  version?: string;
  /** Aurora only: the writer as `information_schema.replica_host_status` on this instance names it. */
  auroraWriterView?: { reporterId: string; writerServerId: string };
}

export interface ProberConnectors {
  connectAdmin: (endpoint: Endpoint, timeouts: Timeouts, options: { flavorHint?: Flavor }) => Promise<MysqlAdmin>;
  openSession: (endpoint: Endpoint, timeouts: Timeouts) => Promise<SqlSession>;
  /** Opens a new connection just far enough to see the server's greeting (see greeting-check). */
  greeting?: (host: string, port: number, timeoutMs: number) => Promise<{ ok: boolean; error?: string }>;
}

export interface ProberOptions {
  instanceId: string;
  endpoint: Endpoint;
  flavor: Flavor;
  timeouts: Timeouts;
  /** Every Nth probe also opens (and closes) a brand-new connection. */
  newConnectionEvery: number;
  now?: () => number;
  logger?: Logger;
  /** Where Aurora probes read replica_host_status: information_schema's by default (a table shaped like it in tests). */
  replicaHostStatusTable?: string;
}

/**
 * Probes one instance. The fast path reuses one connection and runs only the engine's role query
 * (@@innodb_read_only on Aurora, @@read_only elsewhere). Every Nth probe also proves that a NEW
 * connection can be opened: in the seed's outage, connection tracking was full, established
 * connections kept working and every new one was refused, so applications failed while a
 * checker on a persistent connection saw nothing wrong.
 * Any failure drops the persistent connection, so the next probe reconnects (that reconnect is
 * itself the probe of a dead or restarted server).
 */
/** replica_host_status rows older than this are not evidence of anything. */
const WRITER_VIEW_MAX_AGE_MS = 5_000;

export class InstanceProber {
  /**
   * Set by the cluster worker while a writer change may be coming (cluster not Healthy): Aurora
   * probes then also read replica_host_status, the second vantage point on a new writer. Off
   * otherwise, so a healthy fleet pays one query per probe.
   */
  wantWriterView = false;
  private admin: MysqlAdmin | undefined;
  private closed = false;
  private count = 0;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly hostStatusSql: string;

  constructor(
    private readonly options: ProberOptions,
    private readonly connectors: ProberConnectors,
  ) {
    this.now = options.now ?? Date.now;
    this.log = (options.logger ?? silentLogger).child({ instance: options.instanceId });
    this.hostStatusSql = replicaHostStatusSql(options.replicaHostStatusTable);
  }

  async probe(): Promise<ProbeResult> {
    this.count += 1;
    const started = performance.now();
    const checkNew = this.count % this.options.newConnectionEvery === 0;
    try {
      let freshlyConnected = false;
      if (!this.admin) {
        const admin = await this.connectors.connectAdmin(this.options.endpoint, this.options.timeouts, { flavorHint: this.options.flavor });
        if (this.closed) {
          // closed while connecting (the instance left the topology, or the checker stops)
          await admin.close().catch(() => undefined);
          throw new Error('prober closed');
        }
        this.admin = admin;
        freshlyConnected = true;
      }
      const q = { timeoutMs: this.options.timeouts.queryTimeoutMs };
      let role: Role;
      let newConnectionOk: boolean | undefined;
      if (!checkNew) role = await this.admin.role(q);
      else if (freshlyConnected) {
        // a probe that just connected has proved that new connections work
        role = await this.admin.role(q);
        newConnectionOk = true;
      } else [role, newConnectionOk] = await Promise.all([this.admin.role(q), this.tryNewConnection()]);
      // Built in one go: this runs thousands of times a second in a large fleet.
      const result: ProbeResult = {
        instanceId: this.options.instanceId,
        address: this.options.endpoint.host,
        at: this.now(),
        ok: newConnectionOk !== false,
        role,
        latencyMs: performance.now() - started,
        version: this.admin.version.raw,
      };
      if (newConnectionOk !== undefined) result.newConnectionOk = newConnectionOk;
      if (this.wantWriterView && this.options.flavor === 'aurora-mysql') {
        const view = await this.writerView(this.admin);
        if (view) result.auroraWriterView = view;
      }
      if (newConnectionOk === false) result.error = 'existing connection works but a new connection was refused';
      return result;
    } catch (e) {
      this.drop();
      return { instanceId: this.options.instanceId, address: this.options.endpoint.host, at: this.now(), ok: false, latencyMs: performance.now() - started, error: errorMessage(e) };
    }
  }

  /** Who replica_host_status here names as the writer; undefined when it cannot tell (never a failure). */
  private async writerView(admin: MysqlAdmin): Promise<ProbeResult['auroraWriterView']> {
    try {
      const rows = await admin.session.query(this.hostStatusSql, [], { timeoutMs: this.options.timeouts.queryTimeoutMs });
      const view = writerFromReplicaHostStatus(parseReplicaHostStatus(rows), WRITER_VIEW_MAX_AGE_MS, this.now());
      return view.writer !== undefined && !view.ambiguous ? { reporterId: this.options.instanceId, writerServerId: view.writer } : undefined;
    } catch (e) {
      this.log.debug({ err: errorMessage(e) }, 'replica_host_status unreadable: no second vantage point from this instance');
      return undefined;
    }
  }

  /** Closes the persistent connection (at shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.close().catch(() => undefined);
  }

  private drop(): void {
    const admin = this.admin;
    this.admin = undefined;
    admin?.session.destroy();
  }

  private async tryNewConnection(): Promise<boolean> {
    const { host, port } = this.options.endpoint;
    try {
      if (this.connectors.greeting) {
        const g = await this.connectors.greeting(host, port, this.options.timeouts.connectTimeoutMs);
        if (!g.ok) this.log.warn({ err: g.error }, 'a new connection was refused while the existing one works');
        return g.ok;
      }
      const s = await this.connectors.openSession(this.options.endpoint, this.options.timeouts);
      s.destroy();
      return true;
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, 'a new connection was refused while the existing one works');
      return false;
    }
  }
}
