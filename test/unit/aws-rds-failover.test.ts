// AWS is faked here because no AWS endpoint can be reached from this machine: the RDS client is
// stubbed at the SDK command level with aws-sdk-client-mock, with answers shaped like the real
// FailoverDBCluster / DescribeDBClusters responses. The seed's lesson (004): an API call that
// returns OK is not proof the change happened, so the failover is read back until RDS shows it.
import { describe, expect, it, beforeEach } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeDBClustersCommand, FailoverDBClusterCommand, RDSClient, RDSServiceException, type DBCluster } from '@aws-sdk/client-rds';
import { createRdsApi } from '../../src/aws/rds-sdk-api.js';
import { AwsVerifyError } from '../../src/aws/aws-errors.js';
import { SafetyRefusal } from '../../src/core/errors.js';
import type { Clock } from '../../src/core/clock.js';

const REGION = 'ap-northeast-1';
const SUFFIX = 'c9akciq32xyz.ap-northeast-1.rds.amazonaws.com';
const ID = 'aurora-prod-01';
const I1 = `${ID}-instance-1`;
const I2 = `${ID}-instance-2`;
const I3 = `${ID}-instance-3`;

const meta = (httpStatusCode = 200) => ({ httpStatusCode, requestId: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', attempts: 1, totalRetryDelay: 0 });

function cluster(writer: string, status = 'available'): DBCluster {
  return {
    DBClusterIdentifier: ID,
    DBClusterArn: `arn:aws:rds:${REGION}:123456789012:cluster:${ID}`,
    Status: status,
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.05.2',
    EngineMode: 'provisioned',
    Endpoint: `${ID}.cluster-${SUFFIX}`,
    ReaderEndpoint: `${ID}.cluster-ro-${SUFFIX}`,
    Port: 3306,
    MultiAZ: true,
    AvailabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    DBClusterMembers: [I1, I2, I3].map((id, n) => ({ DBInstanceIdentifier: id, IsClusterWriter: id === writer, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: n })),
    HostedZoneId: 'Z24O6O9L7SGTNB',
    StorageEncrypted: true,
    DeletionProtection: true,
  };
}
const describeAnswer = (writer: string, status = 'available') => ({ $metadata: meta(), DBClusters: [cluster(writer, status)] });

function fastClock(): { clock: Clock; slept: number[] } {
  let t = 1_790_000_000_000;
  const slept: number[] = [];
  return { slept, clock: { now: () => t, monotonic: () => t, sleep: async (ms: number) => void (slept.push(ms), (t += ms)) } };
}

const rds = mockClient(RDSClient);
beforeEach(() => rds.reset());

function api(clock: Clock) {
  return createRdsApi({
    region: REGION,
    client: new RDSClient({ region: REGION }),
    context: { clock, random: () => 0.5 },
    failoverVerify: { timeoutMs: 60_000, intervalMs: 5_000 },
  });
}

describe('failoverCluster', () => {
  it('sends FailoverDBCluster once and returns when RDS reports the target as the writer', async () => {
    const { clock } = fastClock();
    rds
      .on(DescribeDBClustersCommand)
      .resolvesOnce(describeAnswer(I1)) // precheck
      .resolvesOnce(describeAnswer(I1, 'failing-over'))
      .resolvesOnce(describeAnswer(I1, 'failing-over'))
      .resolves(describeAnswer(I2));
    rds.on(FailoverDBClusterCommand).resolves({ $metadata: meta(), DBCluster: cluster(I1, 'failing-over') });

    const outcome = await api(clock).failoverCluster(ID, I2);

    expect(outcome).toEqual({ clusterId: ID, previousWriter: I1, newWriter: I2, changed: true, verifiedAfterMs: 10_000, polls: 3 });
    expect(rds.commandCalls(FailoverDBClusterCommand).map((c) => c.args[0].input)).toEqual([{ DBClusterIdentifier: ID, TargetDBInstanceIdentifier: I2 }]);
  });

  it('FailoverDBCluster "succeeds" but the old writer stays: AWS_VERIFY_FAILED after a bounded wait', async () => {
    const { clock, slept } = fastClock();
    rds.on(DescribeDBClustersCommand).resolves(describeAnswer(I1));
    rds.on(FailoverDBClusterCommand).resolves({ $metadata: meta(), DBCluster: cluster(I1, 'failing-over') });

    const err = await api(clock).failoverCluster(ID, I2).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AwsVerifyError);
    expect(err).toMatchObject({ code: 'AWS_VERIFY_FAILED', fault: 'remote', details: { observed: `writer ${I1} with cluster status "available"` } });
    expect((err as AwsVerifyError).message).toContain('AWS answered OK');
    expect((err as AwsVerifyError).next).toMatch(/half done/);
    // bounded: 60 s at 5 s intervals, and the failover itself was not sent again
    expect(slept.reduce((a, b) => a + b, 0)).toBe(60_000);
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(1);
  });

  it('with no target, any writer other than the previous one counts', async () => {
    rds.on(DescribeDBClustersCommand).resolvesOnce(describeAnswer(I2)).resolves(describeAnswer(I3));
    rds.on(FailoverDBClusterCommand).resolves({ $metadata: meta(), DBCluster: cluster(I2, 'failing-over') });
    const outcome = await api(fastClock().clock).failoverCluster(ID);
    expect(outcome).toMatchObject({ previousWriter: I2, newWriter: I3, changed: true, polls: 1 });
    expect(rds.commandCalls(FailoverDBClusterCommand)[0]?.args[0].input).toEqual({ DBClusterIdentifier: ID });
  });

  it('refuses a target that is not a member, before sending anything', async () => {
    rds.on(DescribeDBClustersCommand).resolves(describeAnswer(I1));
    const err = await api(fastClock().clock).failoverCluster(ID, 'aurora-other-instance-9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err).toMatchObject({ code: 'FAILOVER_TARGET_NOT_MEMBER' });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('refuses while the cluster is not available (a failover must not stack on another)', async () => {
    rds.on(DescribeDBClustersCommand).resolves(describeAnswer(I1, 'failing-over'));
    await expect(api(fastClock().clock).failoverCluster(ID, I2)).rejects.toMatchObject({ code: 'CLUSTER_NOT_AVAILABLE', retryable: true });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('the target already being the writer is a no-op', async () => {
    rds.on(DescribeDBClustersCommand).resolves(describeAnswer(I2));
    const outcome = await api(fastClock().clock).failoverCluster(ID, I2);
    expect(outcome).toMatchObject({ changed: false, previousWriter: I2, newWriter: I2 });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(0);
  });

  it('retries FailoverDBCluster after throttling (AWS did not process it) but never after a 5xx (it may have)', async () => {
    const throttled = new RDSServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: meta(400) });
    rds.on(DescribeDBClustersCommand).resolvesOnce(describeAnswer(I1)).resolves(describeAnswer(I2));
    rds.on(FailoverDBClusterCommand).rejectsOnce(throttled).resolves({ $metadata: meta(), DBCluster: cluster(I1, 'failing-over') });
    await expect(api(fastClock().clock).failoverCluster(ID, I2)).resolves.toMatchObject({ newWriter: I2 });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(2);

    rds.reset();
    const internal = new RDSServiceException({ name: 'InternalFailure', $fault: 'server', message: 'An internal error has occurred. Please try your query again at a later time.', $metadata: meta(500) });
    rds.on(DescribeDBClustersCommand).resolves(describeAnswer(I1));
    rds.on(FailoverDBClusterCommand).rejects(internal);
    await expect(api(fastClock().clock).failoverCluster(ID, I2)).rejects.toMatchObject({ code: 'AWS_UNAVAILABLE', retryable: true, details: { attempts: 1 } });
    expect(rds.commandCalls(FailoverDBClusterCommand)).toHaveLength(1);
  });
});
