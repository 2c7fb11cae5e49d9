// AWS is faked here because no AWS endpoint can be reached from this machine: the RDS client is
// stubbed at the SDK command level with aws-sdk-client-mock (answers shaped like the real
// DescribeDBClusters / DescribeDBInstances), and the topology source runs on top of the real
// SDK-backed RdsApi, so the whole path from SDK answer to the checker's view is exercised. The
// instance endpoints' DNS names are resolved by a scripted resolver (the VPC's DNS is not here).
import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient, RDSServiceException, type DBInstance } from '@aws-sdk/client-rds';
import { createRdsApi } from '../../src/aws/rds-sdk-api.js';
import { RdsTopologySource } from '../../src/failover/topology/rds-topology.js';
import { loadTopology } from '../../src/failover/topology/cluster-topology.js';
import { topologySourceFor } from '../../src/failover/topology/topology-sources.js';
import { StaticTopologySource } from '../../src/failover/topology/static-topology.js';
import type { Clock } from '../../src/core/clock.js';

const SUFFIX = 'c9akciq32xyz.ap-northeast-1.rds.amazonaws.com';
const ID = 'aurora-prod-01';
const meta = (httpStatusCode = 200) => ({ httpStatusCode, requestId: 'e5d4c3b2-a190-4f8e-8d7c-6b5a49382716', attempts: 1, totalRetryDelay: 0 });

function answers(members: { id: string; writer?: boolean; status?: string; endpoint?: boolean }[]) {
  const cluster = {
    $metadata: meta(),
    DBClusters: [
      {
        DBClusterIdentifier: ID,
        Status: 'available',
        Engine: 'aurora-mysql',
        EngineVersion: '8.0.mysql_aurora.3.05.2',
        Endpoint: `${ID}.cluster-${SUFFIX}`,
        ReaderEndpoint: `${ID}.cluster-ro-${SUFFIX}`,
        Port: 3306,
        MultiAZ: true,
        DBClusterMembers: members.map((m, n) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m.writer === true, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: n + 1 })),
      },
    ],
  };
  const instances: DBInstance[] = members.map((m) => ({
    DBInstanceIdentifier: m.id,
    DBInstanceClass: 'db.r6g.xlarge',
    Engine: 'aurora-mysql',
    DBInstanceStatus: m.status ?? 'available',
    ...(m.endpoint === false ? {} : { Endpoint: { Address: `${m.id}.${SUFFIX}`, Port: 3306, HostedZoneId: 'Z24O6O9L7SGTNB' } }),
    AvailabilityZone: 'ap-northeast-1a',
    DBClusterIdentifier: ID,
    EngineVersion: '8.0.mysql_aurora.3.05.2',
  }));
  return { cluster, instances: { $metadata: meta(), DBInstances: instances } };
}

function serve(members: Parameters<typeof answers>[0]): void {
  const a = answers(members);
  rds.on(DescribeDBClustersCommand).resolves(a.cluster);
  rds.on(DescribeDBInstancesCommand).resolves(a.instances);
}

const throttled = () => new RDSServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: meta(400) });
const denied = () =>
  new RDSServiceException({
    name: 'AccessDenied',
    $fault: 'client',
    message: 'User: arn:aws:sts::123456789012:assumed-role/dbfleet-checker/i-0a1b is not authorized to perform: rds:DescribeDBClusters',
    $metadata: meta(403),
  });

/** The VPC resolver's view: instance endpoint -> private IP; names in `broken` fail like SERVFAIL. */
const zone = new Map<string, string>();
const broken = new Set<string>();
const resolve = async (name: string): Promise<string> => {
  const ip = zone.get(name);
  if (ip === undefined || broken.has(name)) throw Object.assign(new Error(`queryA ESERVFAIL ${name}`), { code: 'ESERVFAIL' });
  return ip;
};

let t = 1_790_000_000_000;
const clock: Clock = { now: () => t, monotonic: () => t, sleep: async (ms: number) => void (t += ms) };

const rds = mockClient(RDSClient);
let source: RdsTopologySource;
beforeEach(() => {
  rds.reset();
  const api = createRdsApi({ region: 'ap-northeast-1', client: new RDSClient({ region: 'ap-northeast-1' }), context: { clock, random: () => 0.5, retry: { maxAttempts: 3 } } });
  source = new RdsTopologySource({ cluster: 'aurora-test', rdsClusterId: ID, rds: api, clock, resolve });
  zone.clear();
  broken.clear();
  for (let n = 1; n <= 3; n++) zone.set(host(n), ip(n));
  zone.set(`application-autoscaling-0f3c1b2a.${SUFFIX}`, '10.0.3.77');
});

const I = (n: number) => `${ID}-instance-${n}`;
const host = (n: number) => `${I(n)}.${SUFFIX}`;
const ip = (n: number) => `10.0.3.${10 + n}`;

describe('RdsTopologySource', () => {
  it('serves the discovered instances at their endpoints\' addresses, sorted, from cache', async () => {
    serve([{ id: I(2) }, { id: I(1), writer: true }, { id: I(3) }]);
    const topo = await loadTopology(source);
    expect(topo).toMatchObject({ cluster: 'aurora-test', source: 'rds', fetchedAt: t });
    expect(topo.instances).toEqual([1, 2, 3].map((n) => ({ id: I(n), host: ip(n), port: 3306, endpoint: host(n) })));
    expect(topo.stale).toBeUndefined();
    // current() is synchronous and does not call RDS
    const calls = rds.calls().length;
    expect(source.current()).toBe(topo);
    expect(rds.calls()).toHaveLength(calls);
  });

  it('keeps serving the last good topology while refreshes fail, marked stale with the error; recovers', async () => {
    serve([{ id: I(1), writer: true }, { id: I(2) }]);
    await loadTopology(source);
    const goodAt = source.current().fetchedAt;

    rds.reset();
    rds.on(DescribeDBClustersCommand).rejects(throttled());
    t += 60_000;
    const failed = await source.refresh();
    expect(failed.ok).toBe(false);
    const during = source.current();
    expect(during.instances.map((i) => i.id)).toEqual([I(1), I(2)]);
    expect(during).toMatchObject({ stale: true, fetchedAt: goodAt, error: { code: 'AWS_THROTTLED', at: t } });

    rds.reset();
    serve([{ id: I(1), writer: true }, { id: I(2) }]);
    t += 60_000;
    const ok = await source.refresh();
    expect(ok.ok).toBe(true);
    expect(source.current().stale).toBeUndefined();
    expect(source.current().error).toBeUndefined();
    expect(source.current().fetchedAt).toBe(t);
  });

  it('a first load that fails is a clear typed error, and current() says nothing is known yet', async () => {
    rds.on(DescribeDBClustersCommand).rejects(denied());
    const err = await loadTopology(source).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOPOLOGY_UNAVAILABLE', retryable: false, details: { causeCode: 'AWS_ACCESS_DENIED' } });
    expect((err as Error).message).toContain('aurora-test');
    expect((err as Error).message).toContain('AWS_ACCESS_DENIED');
    expect(source.current()).toMatchObject({ instances: [], fetchedAt: null, stale: true, error: { code: 'AWS_ACCESS_DENIED' } });
  });

  it('reports auto-scaled readers that appear and deleted ones that leave; pending ones wait for an endpoint', async () => {
    serve([{ id: I(1), writer: true }, { id: I(2) }]);
    await loadTopology(source);

    rds.reset();
    serve([{ id: I(1), writer: true }, { id: I(2) }, { id: 'application-autoscaling-0f3c1b2a', status: 'creating', endpoint: false }]);
    const r1 = await source.refresh();
    expect(r1.ok && r1.changes).toEqual({ added: [], removed: [], changed: [] });
    expect(source.current().pending).toEqual([{ id: 'application-autoscaling-0f3c1b2a', status: 'creating' }]);

    rds.reset();
    serve([{ id: I(1), writer: true }, { id: 'application-autoscaling-0f3c1b2a' }]);
    const r2 = await source.refresh();
    if (!r2.ok) throw r2.error;
    expect(r2.changes.added.map((i) => i.id)).toEqual(['application-autoscaling-0f3c1b2a']);
    expect(r2.changes.removed.map((i) => i.id)).toEqual([I(2)]);
    expect(source.current().instances.map((i) => i.id)).toEqual(['application-autoscaling-0f3c1b2a', I(1)]);
  });

  it('a DNS hiccup keeps a known instance at its last address; a new one that does not resolve waits as pending', async () => {
    serve([{ id: I(1), writer: true }, { id: I(2) }]);
    await loadTopology(source);
    broken.add(host(2));
    rds.reset();
    serve([{ id: I(1), writer: true }, { id: I(2) }, { id: I(3) }]);
    zone.delete(host(3));
    const r = await source.refresh();
    if (!r.ok) throw r.error;
    expect(source.current().instances.map((i) => `${i.id}=${i.host}`)).toEqual([`${I(1)}=${ip(1)}`, `${I(2)}=${ip(2)}`]);
    expect(source.current().pending).toEqual([{ id: I(3), status: 'unresolved' }]);
    expect(r.changes.added).toEqual([]);
  });

  it('an instance whose endpoint now resolves to another address is reported as changed', async () => {
    serve([{ id: I(1), writer: true }, { id: I(2) }]);
    await loadTopology(source);
    zone.set(host(2), '10.0.7.200'); // e.g. the instance was replaced on another host
    const r = await source.refresh();
    if (!r.ok) throw r.error;
    expect(r.changes.changed).toEqual([{ before: { id: I(2), host: ip(2), port: 3306, endpoint: host(2) }, after: { id: I(2), host: '10.0.7.200', port: 3306, endpoint: host(2) } }]);
  });

  it('refuses to replace known instances with an empty answer (a control-plane glitch must not drain a cluster)', async () => {
    serve([{ id: I(1), writer: true }, { id: I(2) }]);
    await loadTopology(source);
    rds.reset();
    serve([]);
    const r = await source.refresh();
    expect(r).toMatchObject({ ok: false, error: { code: 'TOPOLOGY_EMPTY_REFUSED' } });
    expect(source.current().instances).toHaveLength(2);
    expect(source.current().stale).toBe(true);
  });

  it('concurrent refreshes share one load; a cancelled refresh marks nothing stale', async () => {
    serve([{ id: I(1), writer: true }]);
    const [a, b] = await Promise.all([source.refresh(), source.refresh()]);
    expect(a).toBe(b);
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);

    rds.reset();
    rds.on(DescribeDBClustersCommand).callsFake(() => new Promise(() => {}));
    const controller = new AbortController();
    const pending = source.refresh(controller.signal);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'ABORTED' } });
    expect(source.current().stale).toBeUndefined();
  });

  it('a refresh that hangs ends at its deadline and counts as a failure', async () => {
    const api = createRdsApi({ region: 'ap-northeast-1', client: new RDSClient({ region: 'ap-northeast-1' }), context: { clock, random: () => 0.5 } });
    const slow = new RdsTopologySource({ cluster: 'aurora-test', rdsClusterId: ID, rds: api, clock, resolve, refreshTimeoutMs: 40 });
    serve([{ id: I(1), writer: true }]);
    await loadTopology(slow);
    rds.reset();
    rds.on(DescribeDBClustersCommand).callsFake(() => new Promise(() => {}));
    expect(await slow.refresh()).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(slow.current()).toMatchObject({ stale: true, error: { code: 'TIMEOUT' } });
  });

  it('marks a topology stale when it has not been refreshed for too long', async () => {
    const aging = new RdsTopologySource({ cluster: 'aurora-test', rdsClusterId: ID, rds: { describeAuroraCluster: async () => ({ clusterId: ID, engine: 'aurora-mysql', engineVersion: '3', status: 'available', writerEndpoint: undefined, readerEndpoint: undefined, port: 3306, members: [{ instanceId: I(1), isWriter: true, promotionTier: 1, address: '10.0.3.17', port: 3306, status: 'available', availabilityZone: 'ap-northeast-1a' }] }) }, clock, staleAfterMs: 180_000 });
    await loadTopology(aging);
    t += 180_001;
    expect(aging.current()).toMatchObject({ stale: true, error: { code: 'TOPOLOGY_AGED' } });
  });
});

describe('topologySourceFor', () => {
  it('picks the static list or RDS discovery as the config says', () => {
    const rdsFor = (region: string) => {
      expect(region).toBe('ap-northeast-1');
      return { describeAuroraCluster: () => Promise.reject(new Error('not called')) };
    };
    const base = { engine: 'aurora-mysql' as const, writer_record: 'w', reader_record: 'r' };
    const s = topologySourceFor({ ...base, name: 'static-one', instances: [{ id: 'b', host: '127.0.10.2', port: 3306 }, { id: 'a', host: '127.0.10.1', port: 3306 }] }, { clock, rdsFor });
    expect(s).toBeInstanceOf(StaticTopologySource);
    expect(s.current()).toMatchObject({ source: 'static', instances: [{ id: 'a' }, { id: 'b' }] });
    const d = topologySourceFor({ ...base, name: 'found', discover: { rds_cluster: ID, region: 'ap-northeast-1' } }, { clock, rdsFor });
    expect(d).toBeInstanceOf(RdsTopologySource);
    expect(d.current()).toMatchObject({ cluster: 'found', source: 'rds', fetchedAt: null, error: { code: 'TOPOLOGY_NOT_LOADED' } });
  });
});
