import type { DbfleetError } from '../../core/errors.js';

/**
 * Which instances make up a cluster, as the failover checker sees it. The checker reads it with
 * `current()`, synchronously, from a cache: a failover never waits on, or depends on, the AWS
 * control plane. Refreshing happens beside it (topology-refresher.ts).
 */
export interface TopologyInstance {
  id: string;
  /** What the checker probes and MyDNS records hold: an IP address (a host name only if configured so). */
  host: string;
  port: number;
  socket?: string | undefined;
  /** The DNS name `host` was resolved from (an RDS instance endpoint); informational. */
  endpoint?: string | undefined;
}

/** Why the topology may be out of date: plain data, so `checker status --json` can show it. */
export interface TopologyError {
  code: string;
  message: string;
  /** Wall-clock ms when the failure happened. */
  at: number;
}

export interface PendingInstance {
  id: string;
  /** e.g. "creating": listed by the control plane, but with no endpoint (or address) to probe yet. */
  status: string;
}

export interface ClusterTopology {
  cluster: string;
  /** Sorted by id. */
  instances: readonly TopologyInstance[];
  source: 'static' | 'rds';
  /** Wall-clock ms of the last successful load; null before the first one. */
  fetchedAt: number | null;
  /** True when the last refresh failed (or none succeeded yet): these may be old instances. */
  stale?: boolean;
  error?: TopologyError;
  pending?: readonly PendingInstance[];
}

export interface TopologyDiff {
  added: TopologyInstance[];
  removed: TopologyInstance[];
  /** Same id, another address or port (e.g. an instance endpoint that moved). */
  changed: { before: TopologyInstance; after: TopologyInstance }[];
}

export type RefreshResult =
  | { ok: true; topology: ClusterTopology; changes: TopologyDiff }
  | { ok: false; topology: ClusterTopology; error: DbfleetError };

export interface TopologySource {
  readonly cluster: string;
  /** The cached topology; never blocks, never throws. */
  current(): ClusterTopology;
  /**
   * Loads the topology again. Never rejects: a failure comes back as `{ ok: false }` and the
   * last good topology keeps being served, marked stale. Concurrent calls share one load.
   */
  refresh(signal?: AbortSignal): Promise<RefreshResult>;
}

/** First load at start-up: returns the topology, or throws the typed error that stopped it. */
export async function loadTopology(source: TopologySource, signal?: AbortSignal): Promise<ClusterTopology> {
  const result = await source.refresh(signal);
  if (!result.ok && result.topology.fetchedAt === null) throw result.error;
  return result.topology;
}

export function freezeTopology(t: ClusterTopology): ClusterTopology {
  return Object.freeze({
    ...t,
    instances: Object.freeze(t.instances.map((i) => Object.freeze({ ...i }))),
    ...(t.pending ? { pending: Object.freeze(t.pending.map((p) => Object.freeze({ ...p }))) } : {}),
  });
}
