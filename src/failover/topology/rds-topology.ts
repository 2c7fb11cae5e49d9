import type { RdsApi } from '../../aws/rds-api.js';
import { translateAwsError } from '../../aws/aws-errors.js';
import type { Clock } from '../../core/clock.js';
import { withDeadline } from '../../core/deadline.js';
import { AbortedError, RemoteError, type DbfleetError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { freezeTopology, type ClusterTopology, type RefreshResult, type TopologyError, type TopologySource } from './cluster-topology.js';
import { dnsResolver, resolveTopologyAddresses, type ResolveAddress } from './endpoint-resolver.js';
import { diffTopology, isEmptyDiff } from './topology-diff.js';
import { topologyFromAurora } from './topology-from-aurora.js';

export interface RdsTopologyOptions {
  /** dbfleet's cluster name (the config's clusters[].name). */
  cluster: string;
  /** The RDS DB cluster identifier (clusters[].discover.rds_cluster). */
  rdsClusterId: string;
  rds: Pick<RdsApi, 'describeAuroraCluster'>;
  clock: Pick<Clock, 'now'>;
  logger?: Logger;
  /** Deadline of one refresh, retries included. */
  refreshTimeoutMs?: number;
  /** Serve the topology marked stale once it is older than this, even without an error. */
  staleAfterMs?: number;
  /** Turns instance endpoints into IP addresses; DNS by default. */
  resolve?: ResolveAddress;
}

/**
 * A cluster discovered through the RDS API. The last good answer is cached and served while
 * refreshes fail (marked stale, with the error), because the control plane failing must never
 * stop the checker; an answer with no instances never replaces a non-empty one.
 */
export class RdsTopologySource implements TopologySource {
  readonly cluster: string;
  private good: ClusterTopology | undefined;
  private lastError: TopologyError | undefined;
  private inflight: Promise<RefreshResult> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: RdsTopologyOptions) {
    this.cluster = options.cluster;
    this.log = (options.logger ?? silentLogger).child({ cluster: options.cluster, rds_cluster: options.rdsClusterId });
  }

  current(): ClusterTopology {
    const now = this.options.clock.now();
    if (!this.good) {
      return freezeTopology({
        cluster: this.cluster,
        instances: [],
        source: 'rds',
        fetchedAt: null,
        stale: true,
        error: this.lastError ?? { code: 'TOPOLOGY_NOT_LOADED', message: `RDS cluster ${this.options.rdsClusterId} has not been discovered yet`, at: now },
      });
    }
    const age = now - (this.good.fetchedAt ?? now);
    const aged = this.options.staleAfterMs !== undefined && age > this.options.staleAfterMs;
    if (!this.lastError && !aged) return this.good;
    const error = this.lastError ?? { code: 'TOPOLOGY_AGED', message: `the topology was last refreshed ${age} ms ago`, at: now };
    return freezeTopology({ ...this.good, stale: true, error });
  }

  refresh(signal?: AbortSignal): Promise<RefreshResult> {
    this.inflight ??= this.load(signal).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(signal?: AbortSignal): Promise<RefreshResult> {
    const { rds, rdsClusterId, refreshTimeoutMs = 30_000 } = this.options;
    const resolve = this.options.resolve ?? dnsResolver();
    let next: ClusterTopology;
    try {
      next = await withDeadline(
        `discover RDS cluster ${rdsClusterId}`,
        refreshTimeoutMs,
        async (s) => {
          const aurora = await rds.describeAuroraCluster(rdsClusterId, { signal: s });
          const found = topologyFromAurora(this.cluster, aurora, this.options.clock.now());
          const { topology, unresolved } = await resolveTopologyAddresses(found, this.good, resolve, s);
          if (unresolved.length > 0) this.log.warn({ unresolved }, 'some instance endpoints did not resolve to an address');
          return topology;
        },
        signal,
      );
    } catch (e) {
      const error = translateAwsError(e, `discover RDS cluster ${rdsClusterId}`);
      // cancelled by our own caller (shutdown): not a fact about RDS, nothing becomes stale
      if (error instanceof AbortedError) return { ok: false, topology: this.current(), error };
      return this.fail(error);
    }
    if (next.instances.length === 0 && this.good && this.good.instances.length > 0) {
      return this.fail(
        new RemoteError('TOPOLOGY_EMPTY_REFUSED', `RDS lists no reachable instance in ${rdsClusterId}; keeping the ${this.good.instances.length} known ones`, {
          retryable: true,
          details: { pending: next.pending ?? [] },
        }),
      );
    }
    const changes = diffTopology(this.good ?? { instances: [] }, next);
    if (!isEmptyDiff(changes)) {
      this.log.info(
        {
          added: changes.added.map((i) => `${i.id} ${i.host}:${i.port}`),
          removed: changes.removed.map((i) => `${i.id} ${i.host}:${i.port}`),
          changed: changes.changed.map((c) => `${c.after.id} ${c.before.host}:${c.before.port} -> ${c.after.host}:${c.after.port}`),
        },
        'topology changed',
      );
    }
    if (this.lastError) this.log.info({ was: this.lastError.code }, 'topology refresh recovered');
    this.good = freezeTopology(next);
    this.lastError = undefined;
    return { ok: true, topology: this.good, changes };
  }

  private fail(cause: DbfleetError): RefreshResult {
    this.lastError = { code: cause.code, message: cause.message, at: this.options.clock.now() };
    if (this.good) {
      this.log.warn({ code: cause.code, err: cause.message, servingFrom: this.good.fetchedAt }, 'topology refresh failed; serving the last good topology, marked stale');
      return { ok: false, topology: this.current(), error: cause };
    }
    const error = new RemoteError('TOPOLOGY_UNAVAILABLE', `cluster ${this.cluster}: no topology yet, discovering RDS cluster ${this.options.rdsClusterId} failed: ${cause.code}: ${cause.message}`, {
      cause,
      retryable: cause.retryable,
      next: cause.next ?? 'check the rds_cluster, region and the IAM permissions rds:DescribeDBClusters and rds:DescribeDBInstances',
      details: { causeCode: cause.code },
    });
    this.log.error({ code: cause.code, err: cause.message }, 'first topology load failed');
    return { ok: false, topology: this.current(), error };
  }
}
