import type { AuroraCluster } from '../../aws/rds-api.js';
import type { ClusterTopology, PendingInstance, TopologyInstance } from './cluster-topology.js';

/** Aurora's default port, for the rare member whose endpoint has no port yet. */
const DEFAULT_PORT = 3306;

/**
 * The checker's view of a discovered Aurora cluster: every member with an instance endpoint
 * (probed directly, never through the cluster endpoints, which AWS repoints slowly); members
 * without one yet (status "creating") are listed as pending. `host` is still the endpoint's DNS
 * name here; endpoint-resolver.ts turns it into the address MyDNS records hold. Pure.
 */
export function topologyFromAurora(cluster: string, aurora: AuroraCluster, fetchedAt: number): ClusterTopology {
  const instances: TopologyInstance[] = [];
  const pending: PendingInstance[] = [];
  for (const m of aurora.members) {
    if (m.address === undefined) pending.push({ id: m.instanceId, status: m.status });
    else instances.push({ id: m.instanceId, host: m.address, port: m.port ?? aurora.port ?? DEFAULT_PORT });
  }
  instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { cluster, instances, source: 'rds', fetchedAt, ...(pending.length > 0 ? { pending } : {}) };
}
