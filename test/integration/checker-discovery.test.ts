import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuroraCluster } from '../../src/aws/rds-api.js';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { startChecker } from '../support/checker-fixture.js';
import { TEST_ENGINES } from '../support/engines.js';
import { withWriter } from '../support/writer-fixture.js';

// The instances are real (sandbox mysqld of each engine in TEST_ENGINES: the checker probes them
// and fails one over; MyDNS, PowerDNS). RDS cannot be reached from this machine, so
// DescribeDBClusters/Instances are answered by a scripted stand-in returning the AuroraCluster
// shape the real adapter (src/aws/rds-describe-cluster.ts) produces.
let fx: SandboxFixture;
let checker: CheckerService;
let members: string[];
let addresses: Map<string, string>;
let calls = 0;
const C = 'aurora-test-1';

function cluster(): AuroraCluster {
  return {
    clusterId: 'aurora-test-1',
    engine: 'aurora-mysql',
    engineVersion: '8.0.mysql_aurora.3.05.2',
    status: 'available',
    writerEndpoint: 'aurora-test-1.cluster-x.ap-northeast-1.rds.amazonaws.com',
    readerEndpoint: 'aurora-test-1.cluster-ro-x.ap-northeast-1.rds.amazonaws.com',
    port: 3306,
    members: members.map((id, k) => ({ instanceId: id, isWriter: k === 0, promotionTier: 1, address: addresses.get(id), port: 3306, status: 'available', availabilityZone: 'ap-northeast-1a' })),
  };
}

describe.each(TEST_ENGINES)('a cluster discovered through RDS (%s)', (engine: EngineKind) => {
  beforeAll(async () => {
    calls = 0;
    fx = await SandboxFixture.up(1, 2, undefined, { engine });
    const state = await fx.state();
    addresses = new Map(state.clusters[0]!.instances.map((i) => [i.id, i.host]));
    members = [`${C}-instance-01`, `${C}-instance-02`]; // instance-03 is not (yet) part of the cluster
    const base = fx.config.clusters[0]!;
    checker = await startChecker(fx, { topology_refresh_ms: 1000 }, undefined, undefined, {
      clusters: [{ name: base.name, engine: base.engine, writer_record: base.writer_record, reader_record: base.reader_record, discover: { rds_cluster: 'aurora-test-1', region: 'ap-northeast-1' } }],
      rdsFor: (region) => {
        expect(region).toBe('ap-northeast-1');
        return {
          describeAuroraCluster: async () => {
            calls += 1;
            return cluster();
          },
        };
      },
    });
  }, 120_000);

  afterAll(async () => {
    await checker?.stop({ release: true });
    await fx?.down();
  });

  it('watches the discovered members; an address no longer in the cluster leaves the reader record', async () => {
    expect(calls).toBeGreaterThan(0);
    const gone = addresses.get(`${C}-instance-03`)!;
    await eventually('instance-03 removed from the reader record', async () => !(gone in (await fx.readerWeights(C))), 5_000);
    const w = await fx.readerWeights(C);
    expect(w).toEqual({ [addresses.get(`${C}-instance-01`)!]: 0, [addresses.get(`${C}-instance-02`)!]: 100 });
  });

  it('an auto-scaled reader joins the reader record once healthy', async () => {
    members.push(`${C}-instance-03`);
    const added = addresses.get(`${C}-instance-03`)!;
    await eventually('instance-03 serving reads', async () => (await fx.readerWeights(C))[added] === 100, 10_000);
  });

  it('a failover of the discovered cluster still moves the writer record', async () => {
    const run = await withWriter(fx, C, async () => {
      const report = await fx.failover(C);
      const to = (await fx.instance(report.new_writer)).host;
      await eventually('writer record follows', async () => (await fx.writerRecord(C))[0] === to, 10_000);
    });
    expect(run.acknowledged).toBeGreaterThan(10);
    expect(run.lost).toBe(0);
  });
});
