import type { RdsApi } from '../../aws/rds-api.js';
import type { Clock } from '../../core/clock.js';
import type { ClusterConfig } from '../../core/config-schema.js';
import { BugError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TopologySource } from './cluster-topology.js';
import type { ResolveAddress } from './endpoint-resolver.js';
import { RdsTopologySource } from './rds-topology.js';
import { StaticTopologySource } from './static-topology.js';

export interface TopologySourceDeps {
  clock: Clock;
  logger?: Logger;
  /** The RDS API for a region (one client per region, shared by that region's clusters). */
  rdsFor: (region: string) => Pick<RdsApi, 'describeAuroraCluster'>;
  refreshTimeoutMs?: number;
  staleAfterMs?: number;
  /** Instance endpoint -> IP; DNS by default. */
  resolve?: ResolveAddress;
}

/** The topology source a configured cluster asks for: its static instance list, or RDS discovery. */
export function topologySourceFor(cluster: ClusterConfig, deps: TopologySourceDeps): TopologySource {
  if (cluster.instances) return new StaticTopologySource(cluster.name, cluster.instances, deps.clock);
  if (cluster.discover) {
    return new RdsTopologySource({
      cluster: cluster.name,
      rdsClusterId: cluster.discover.rds_cluster,
      rds: deps.rdsFor(cluster.discover.region),
      clock: deps.clock,
      logger: deps.logger,
      refreshTimeoutMs: deps.refreshTimeoutMs,
      staleAfterMs: deps.staleAfterMs,
      resolve: deps.resolve,
    });
  }
  throw new BugError(`cluster ${cluster.name} has neither instances nor discover; the config schema should have refused it`);
}
