/** Cluster topology for the failover checker: which instances to watch, from config or RDS. */
export type { ClusterTopology, PendingInstance, RefreshResult, TopologyDiff, TopologyError, TopologyInstance, TopologySource } from './cluster-topology.js';
export { loadTopology } from './cluster-topology.js';
export { StaticTopologySource } from './static-topology.js';
export { RdsTopologySource, type RdsTopologyOptions } from './rds-topology.js';
export { topologySourceFor, type TopologySourceDeps } from './topology-sources.js';
export { TopologyRefresher, type RefresherState, type TopologyRefresherOptions } from './topology-refresher.js';
export { diffTopology, isEmptyDiff } from './topology-diff.js';
export { dnsResolver, resolveTopologyAddresses, type ResolveAddress } from './endpoint-resolver.js';
export {
  parseReplicaHostStatus,
  REPLICA_HOST_STATUS_SQL,
  REPLICA_HOST_STATUS_TABLE,
  replicaHostStatusSql,
  WRITER_SESSION_ID,
  writerFromReplicaHostStatus,
  type ReplicaHostStatus,
  type WriterView,
} from './replica-host-status.js';
