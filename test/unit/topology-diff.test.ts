// Pure code: no AWS involved (none is reachable from this machine, and none is needed here).
import { describe, expect, it } from 'vitest';
import { diffTopology, isEmptyDiff } from '../../src/failover/topology/topology-diff.js';
import { topologyFromAurora } from '../../src/failover/topology/topology-from-aurora.js';
import { StaticTopologySource } from '../../src/failover/topology/static-topology.js';
import type { TopologyInstance } from '../../src/failover/topology/cluster-topology.js';
import type { AuroraCluster } from '../../src/aws/rds-api.js';

const i = (id: string, host = `${id}.db`, port = 3306): TopologyInstance => ({ id, host, port });
const ids = (xs: TopologyInstance[]) => xs.map((x) => x.id);

describe('diffTopology', () => {
  it.each([
    ['no change', [i('a'), i('b')], [i('b'), i('a')], [], [], []],
    ['an auto-scaled reader appears', [i('a'), i('b')], [i('a'), i('b'), i('asg-1')], ['asg-1'], [], []],
    ['a reader is deleted', [i('a'), i('b'), i('c')], [i('a'), i('c')], [], ['b'], []],
    ['both at once, reported sorted', [i('a'), i('c'), i('b')], [i('z'), i('a'), i('d')], ['d', 'z'], ['b', 'c'], []],
    ['an endpoint moves', [i('a', '10.0.1.5')], [i('a', '10.0.1.9')], [], [], ['a']],
    ['a port changes', [i('a', 'h', 3306)], [i('a', 'h', 3307)], [], [], ['a']],
    ['from nothing (first load)', [], [i('a'), i('b')], ['a', 'b'], [], []],
    ['to nothing', [i('a')], [], [], ['a'], []],
  ])('%s', (_name, before, after, added, removed, changed) => {
    const d = diffTopology({ instances: before }, { instances: after });
    expect(ids(d.added)).toEqual(added);
    expect(ids(d.removed)).toEqual(removed);
    expect(d.changed.map((c) => c.after.id)).toEqual(changed);
    expect(isEmptyDiff(d)).toBe(added.length + removed.length + changed.length === 0);
  });

  it('carries the before and after endpoints of a moved instance', () => {
    const d = diffTopology({ instances: [i('a', '10.0.1.5')] }, { instances: [i('a', '10.0.1.9')] });
    expect(d.changed).toEqual([{ before: i('a', '10.0.1.5'), after: i('a', '10.0.1.9') }]);
  });
});

describe('topologyFromAurora', () => {
  it('uses instance endpoints, falls back to the cluster port, and lists members without an endpoint as pending', () => {
    const aurora: AuroraCluster = {
      clusterId: 'c', engine: 'aurora-mysql', engineVersion: '8.0.mysql_aurora.3.05.2', status: 'available',
      writerEndpoint: 'c.cluster-x', readerEndpoint: 'c.cluster-ro-x', port: 3306,
      members: [
        { instanceId: 'c-2', isWriter: false, promotionTier: 1, address: 'c-2.x', port: undefined, status: 'available', availabilityZone: 'ap-northeast-1c' },
        { instanceId: 'c-1', isWriter: true, promotionTier: 0, address: 'c-1.x', port: 3306, status: 'available', availabilityZone: 'ap-northeast-1a' },
        { instanceId: 'c-3', isWriter: false, promotionTier: 2, address: undefined, port: undefined, status: 'creating', availabilityZone: undefined },
      ],
    };
    expect(topologyFromAurora('mine', aurora, 42)).toEqual({
      cluster: 'mine', source: 'rds', fetchedAt: 42,
      instances: [{ id: 'c-1', host: 'c-1.x', port: 3306 }, { id: 'c-2', host: 'c-2.x', port: 3306 }],
      pending: [{ id: 'c-3', status: 'creating' }],
    });
  });
});

describe('StaticTopologySource', () => {
  it('serves the configured instances, sorted and frozen, and a refresh changes nothing', async () => {
    const s = new StaticTopologySource('aurora-test', [
      { id: 'aurora-test-instance-02', host: '127.0.10.2', port: 3306 },
      { id: 'aurora-test-instance-01', host: '127.0.10.1', port: 3306, socket: '/run/mysqld/01.sock' },
    ], { now: () => 1000 });
    const topo = s.current();
    expect(topo).toEqual({
      cluster: 'aurora-test', source: 'static', fetchedAt: 1000,
      instances: [{ id: 'aurora-test-instance-01', host: '127.0.10.1', port: 3306, socket: '/run/mysqld/01.sock' }, { id: 'aurora-test-instance-02', host: '127.0.10.2', port: 3306 }],
    });
    expect(Object.isFrozen(topo.instances)).toBe(true);
    const r = await s.refresh();
    expect(r.ok && isEmptyDiff(r.changes)).toBe(true);
    expect(s.current()).toBe(topo);
  });
});
