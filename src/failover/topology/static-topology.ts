import type { Clock } from '../../core/clock.js';
import type { InstanceConfig } from '../../core/config-schema.js';
import { freezeTopology, type ClusterTopology, type RefreshResult, type TopologySource } from './cluster-topology.js';

/** A cluster whose instances are listed in the config: the topology never changes at run time. */
export class StaticTopologySource implements TopologySource {
  private readonly topology: ClusterTopology;

  constructor(
    readonly cluster: string,
    instances: readonly InstanceConfig[],
    clock: Pick<Clock, 'now'>,
  ) {
    const sorted = instances
      .map((i) => ({ id: i.id, host: i.host, port: i.port, ...(i.socket !== undefined ? { socket: i.socket } : {}) }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.topology = freezeTopology({ cluster, instances: sorted, source: 'static', fetchedAt: clock.now() });
  }

  current(): ClusterTopology {
    return this.topology;
  }

  refresh(): Promise<RefreshResult> {
    return Promise.resolve({ ok: true, topology: this.topology, changes: { added: [], removed: [], changed: [] } });
  }
}
