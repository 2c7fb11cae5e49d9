import type { ClusterTopology, TopologyDiff, TopologyInstance } from './cluster-topology.js';

const byId = (a: TopologyInstance, b: TopologyInstance): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const sameEndpoint = (a: TopologyInstance, b: TopologyInstance): boolean => a.host === b.host && a.port === b.port && a.socket === b.socket;

/**
 * What changed between two topologies of one cluster: instances that appeared (e.g. Aurora
 * auto-scaled readers), disappeared (deleted), or moved. Pure; each list sorted by id.
 */
export function diffTopology(before: Pick<ClusterTopology, 'instances'>, after: Pick<ClusterTopology, 'instances'>): TopologyDiff {
  const old = new Map(before.instances.map((i) => [i.id, i]));
  const now = new Map(after.instances.map((i) => [i.id, i]));
  const added = after.instances.filter((i) => !old.has(i.id));
  const removed = before.instances.filter((i) => !now.has(i.id));
  const changed = after.instances
    .filter((i) => old.has(i.id) && !sameEndpoint(old.get(i.id) as TopologyInstance, i))
    .map((i) => ({ before: old.get(i.id) as TopologyInstance, after: i }));
  return { added: [...added].sort(byId), removed: [...removed].sort(byId), changed: changed.sort((a, b) => byId(a.after, b.after)) };
}

export function isEmptyDiff(d: TopologyDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
