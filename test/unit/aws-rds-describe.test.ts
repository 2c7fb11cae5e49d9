// AWS is faked here because no AWS endpoint can be reached from this machine: the RDS client is
// stubbed at the SDK command level with aws-sdk-client-mock, and every response below is shaped
// like the real DescribeDBClusters / DescribeDBInstances answers (fields per the SDK's types).
import { describe, expect, it, beforeEach } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DBClusterNotFoundFault,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RDSServiceException,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { createRdsApi } from '../../src/aws/rds-sdk-api.js';
import { AwsApiError } from '../../src/aws/aws-errors.js';
import type { Clock } from '../../src/core/clock.js';

const REGION = 'ap-northeast-1';
const ACCOUNT = '123456789012';
const SUFFIX = 'c9akciq32xyz.ap-northeast-1.rds.amazonaws.com';

function meta(requestId = 'b7d1c2a4-5e6f-4a8b-9c0d-1e2f3a4b5c6d', httpStatusCode = 200) {
  return { httpStatusCode, requestId, attempts: 1, totalRetryDelay: 0 };
}

function clusterResponse(id: string, members: { id: string; writer: boolean; tier: number }[], status = 'available') {
  return {
    $metadata: meta(),
    DBClusters: [
      {
        AllocatedStorage: 1,
        AvailabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
        BackupRetentionPeriod: 7,
        DBClusterIdentifier: id,
        DBClusterParameterGroup: 'default.aurora-mysql8.0',
        DBSubnetGroup: 'prod-db-subnets',
        Status: status,
        EarliestRestorableTime: new Date('2026-10-30T18:03:11.512Z'),
        Endpoint: `${id}.cluster-${SUFFIX}`,
        ReaderEndpoint: `${id}.cluster-ro-${SUFFIX}`,
        MultiAZ: true,
        Engine: 'aurora-mysql',
        EngineVersion: '8.0.mysql_aurora.3.05.2',
        LatestRestorableTime: new Date('2026-11-06T09:41:27.001Z'),
        Port: 3306,
        MasterUsername: 'admin',
        PreferredBackupWindow: '18:00-18:30',
        PreferredMaintenanceWindow: 'sun:19:00-sun:19:30',
        ReadReplicaIdentifiers: [],
        DBClusterMembers: members.map((m) => ({
          DBInstanceIdentifier: m.id,
          IsClusterWriter: m.writer,
          DBClusterParameterGroupStatus: 'in-sync',
          PromotionTier: m.tier,
        })),
        VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0f1e2d3c4b5a69788', Status: 'active' }],
        HostedZoneId: 'Z24O6O9L7SGTNB',
        StorageEncrypted: true,
        KmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789`,
        DbClusterResourceId: 'cluster-ABCDEFGHIJKLMNOPQRSTUVWXY1',
        DBClusterArn: `arn:aws:rds:${REGION}:${ACCOUNT}:cluster:${id}`,
        AssociatedRoles: [],
        IAMDatabaseAuthenticationEnabled: false,
        ClusterCreateTime: new Date('2025-04-02T07:15:40.118Z'),
        EngineMode: 'provisioned',
        DeletionProtection: true,
        HttpEndpointEnabled: false,
        CopyTagsToSnapshot: true,
        CrossAccountClone: false,
        DomainMemberships: [],
        TagList: [{ Key: 'service', Value: 'game-api' }],
        AutoMinorVersionUpgrade: true,
        NetworkType: 'IPV4',
      },
    ],
  };
}

function instance(id: string, cluster: string, az: string, status = 'available', withEndpoint = true): DBInstance {
  return {
    DBInstanceIdentifier: id,
    DBInstanceClass: 'db.r6g.xlarge',
    Engine: 'aurora-mysql',
    DBInstanceStatus: status,
    MasterUsername: 'admin',
    ...(withEndpoint ? { Endpoint: { Address: `${id}.${SUFFIX}`, Port: 3306, HostedZoneId: 'Z24O6O9L7SGTNB' } } : {}),
    AllocatedStorage: 1,
    InstanceCreateTime: new Date('2025-04-02T07:22:09.840Z'),
    PreferredBackupWindow: '18:00-18:30',
    BackupRetentionPeriod: 7,
    DBSecurityGroups: [],
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0f1e2d3c4b5a69788', Status: 'active' }],
    DBParameterGroups: [{ DBParameterGroupName: 'default.aurora-mysql8.0', ParameterApplyStatus: 'in-sync' }],
    AvailabilityZone: az,
    PreferredMaintenanceWindow: 'sat:16:27-sat:16:57',
    PendingModifiedValues: {},
    MultiAZ: false,
    EngineVersion: '8.0.mysql_aurora.3.05.2',
    AutoMinorVersionUpgrade: true,
    ReadReplicaDBInstanceIdentifiers: [],
    LicenseModel: 'general-public-license',
    OptionGroupMemberships: [{ OptionGroupName: 'default:aurora-mysql-8-0', Status: 'in-sync' }],
    PubliclyAccessible: false,
    StorageType: 'aurora',
    DbInstancePort: 0,
    DBClusterIdentifier: cluster,
    StorageEncrypted: true,
    DbiResourceId: `db-${id.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 20)}`,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    PromotionTier: 1,
    DBInstanceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: false,
    DeletionProtection: false,
    TagList: [],
    CustomerOwnedIpEnabled: false,
    NetworkType: 'IPV4',
  };
}

/** A clock whose sleeps return at once and advance time, recording each delay. */
function fastClock(): { clock: Clock; slept: number[] } {
  let t = 1_790_000_000_000;
  const slept: number[] = [];
  return {
    slept,
    clock: {
      now: () => t,
      monotonic: () => t,
      sleep: async (ms: number) => {
        slept.push(ms);
        t += ms;
      },
    },
  };
}

function throttling(): RDSServiceException {
  // how the SDK's query-protocol deserializer builds RDS's unmodeled "Throttling" error
  return new RDSServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: meta('4f1c0d2e-9a8b-4c7d-8e6f-5a4b3c2d1e0f', 400) });
}

const rds = mockClient(RDSClient);
beforeEach(() => rds.reset());

function api(clock: Clock) {
  return createRdsApi({ region: REGION, client: new RDSClient({ region: REGION }), context: { clock, random: () => 0.5 } });
}

describe('describeAuroraCluster', () => {
  it('discovers a 3-instance Aurora cluster: members, writer flag, instance endpoints, AZs', async () => {
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'aurora-prod-01' }).resolves(
      clusterResponse('aurora-prod-01', [
        { id: 'aurora-prod-01-instance-1', writer: false, tier: 1 },
        { id: 'aurora-prod-01-instance-2', writer: true, tier: 0 },
        { id: 'aurora-prod-01-instance-3', writer: false, tier: 15 },
      ]),
    );
    rds.on(DescribeDBInstancesCommand).resolves({
      $metadata: meta(),
      DBInstances: [
        instance('aurora-prod-01-instance-1', 'aurora-prod-01', 'ap-northeast-1a'),
        instance('aurora-prod-01-instance-2', 'aurora-prod-01', 'ap-northeast-1c'),
        instance('aurora-prod-01-instance-3', 'aurora-prod-01', 'ap-northeast-1d', 'rebooting'),
      ],
    });

    const cluster = await api(fastClock().clock).describeAuroraCluster('aurora-prod-01');

    expect(cluster).toMatchObject({
      clusterId: 'aurora-prod-01',
      engine: 'aurora-mysql',
      engineVersion: '8.0.mysql_aurora.3.05.2',
      status: 'available',
      writerEndpoint: `aurora-prod-01.cluster-${SUFFIX}`,
      readerEndpoint: `aurora-prod-01.cluster-ro-${SUFFIX}`,
      port: 3306,
    });
    expect(cluster.members).toEqual([
      { instanceId: 'aurora-prod-01-instance-1', isWriter: false, promotionTier: 1, address: `aurora-prod-01-instance-1.${SUFFIX}`, port: 3306, status: 'available', availabilityZone: 'ap-northeast-1a' },
      { instanceId: 'aurora-prod-01-instance-2', isWriter: true, promotionTier: 0, address: `aurora-prod-01-instance-2.${SUFFIX}`, port: 3306, status: 'available', availabilityZone: 'ap-northeast-1c' },
      { instanceId: 'aurora-prod-01-instance-3', isWriter: false, promotionTier: 15, address: `aurora-prod-01-instance-3.${SUFFIX}`, port: 3306, status: 'rebooting', availabilityZone: 'ap-northeast-1d' },
    ]);
    expect(cluster.members.filter((m) => m.isWriter).map((m) => m.instanceId)).toEqual(['aurora-prod-01-instance-2']);
    // the instances were asked for by cluster, not one by one
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input.Filters).toEqual([{ Name: 'db-cluster-id', Values: ['aurora-prod-01'] }]);
  });

  it('reads every page of DescribeDBInstances (Marker) and keeps a member that has no endpoint yet', async () => {
    const ids = ['i-01', 'i-02', 'i-03', 'i-04', 'i-05'].map((s) => `aurora-big-${s}`);
    rds.on(DescribeDBClustersCommand).resolves(clusterResponse('aurora-big', ids.map((id, n) => ({ id, writer: n === 0, tier: 1 }))));
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ $metadata: meta(), Marker: 'eyJ2IjoyLCJzIjoiYXVyb3JhLWJpZy1pLTAyIn0=', DBInstances: ids.slice(0, 2).map((id) => instance(id, 'aurora-big', 'ap-northeast-1a')) })
      .resolvesOnce({ $metadata: meta(), Marker: 'eyJ2IjoyLCJzIjoiYXVyb3JhLWJpZy1pLTA0In0=', DBInstances: ids.slice(2, 4).map((id) => instance(id, 'aurora-big', 'ap-northeast-1c')) })
      .resolvesOnce({ $metadata: meta(), DBInstances: [instance(ids[4] as string, 'aurora-big', 'ap-northeast-1d', 'creating', false)] });

    const cluster = await api(fastClock().clock).describeAuroraCluster('aurora-big');

    expect(cluster.members.map((m) => m.instanceId)).toEqual(ids);
    expect(cluster.members.filter((m) => m.address !== undefined)).toHaveLength(4);
    expect(cluster.members[4]).toMatchObject({ instanceId: 'aurora-big-i-05', status: 'creating', address: undefined, port: undefined });
    const markers = rds.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input.Marker);
    expect(markers).toEqual([undefined, 'eyJ2IjoyLCJzIjoiYXVyb3JhLWJpZy1pLTAyIn0=', 'eyJ2IjoyLCJzIjoiYXVyb3JhLWJpZy1pLTA0In0=']);
  });

  it('fails with a typed error when pagination never ends (the same marker again and again)', async () => {
    rds.on(DescribeDBClustersCommand).resolves(clusterResponse('aurora-loop', [{ id: 'aurora-loop-1', writer: true, tier: 0 }]));
    rds.on(DescribeDBInstancesCommand).resolves({ $metadata: meta(), Marker: 'c2FtZQ==', DBInstances: [] });
    await expect(api(fastClock().clock).describeAuroraCluster('aurora-loop')).rejects.toMatchObject({ code: 'AWS_UNEXPECTED' });
  });

  it('retries throttling with growing, jittered backoff, then succeeds', async () => {
    const { clock, slept } = fastClock();
    rds
      .on(DescribeDBClustersCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .resolves(clusterResponse('aurora-prod-01', [{ id: 'aurora-prod-01-instance-1', writer: true, tier: 0 }]));
    rds.on(DescribeDBInstancesCommand).resolves({ $metadata: meta(), DBInstances: [instance('aurora-prod-01-instance-1', 'aurora-prod-01', 'ap-northeast-1a')] });

    const cluster = await api(clock).describeAuroraCluster('aurora-prod-01');

    expect(cluster.members.map((m) => m.instanceId)).toEqual(['aurora-prod-01-instance-1']);
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(4);
    // base 200 ms doubling, equal jitter at random()=0.5: 3/4 of each step
    expect(slept).toEqual([150, 300, 600]);
  });

  it('gives up after the bounded attempts with AWS_THROTTLED, retryable, AWS code kept', async () => {
    const { clock, slept } = fastClock();
    rds.on(DescribeDBClustersCommand).rejects(throttling());
    const err = await api(clock).describeAuroraCluster('aurora-prod-01').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsApiError);
    expect(err).toMatchObject({ code: 'AWS_THROTTLED', retryable: true, fault: 'remote', aws: { awsCode: 'Throttling', $fault: 'client', httpStatusCode: 400 } });
    expect((err as AwsApiError).details.attempts).toBe(5);
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(5);
    expect(slept).toHaveLength(4);
    expect(Math.max(...slept)).toBeLessThanOrEqual(5_000);
  });

  it('access denied is typed, says what to grant, and is not retried', async () => {
    const { clock, slept } = fastClock();
    rds.on(DescribeDBClustersCommand).rejects(
      new RDSServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/dbfleet-checker/i-0a1b2c3d4e5f60718 is not authorized to perform: rds:DescribeDBClusters on resource: arn:aws:rds:${REGION}:${ACCOUNT}:cluster:aurora-prod-01 because no identity-based policy allows the rds:DescribeDBClusters action`,
        $metadata: meta('9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4', 403),
      }),
    );
    const err = await api(clock).describeAuroraCluster('aurora-prod-01').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'AWS_ACCESS_DENIED', retryable: false, aws: { awsCode: 'AccessDenied', httpStatusCode: 403, requestId: '9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4' } });
    expect((err as AwsApiError).next).toContain('DescribeDBClusters');
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it('an unknown cluster is AWS_NOT_FOUND, not retried', async () => {
    rds.on(DescribeDBClustersCommand).rejects(new DBClusterNotFoundFault({ message: 'DBCluster aurora-nope not found.', $metadata: meta('0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a', 404) }));
    await expect(api(fastClock().clock).describeAuroraCluster('aurora-nope')).rejects.toMatchObject({ code: 'AWS_NOT_FOUND', retryable: false, aws: { awsCode: 'DBClusterNotFoundFault' } });
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
  });

  it('a call that hangs fails at its deadline and is retried (reads are idempotent)', async () => {
    const ctx = { clock: fastClock().clock, random: () => 0.5, retry: { attemptTimeoutMs: 30, maxAttempts: 2 } };
    const hung = createRdsApi({ region: REGION, client: new RDSClient({ region: REGION }), context: ctx });
    rds.on(DescribeDBClustersCommand).callsFake(() => new Promise(() => {}));
    await expect(hung.describeAuroraCluster('aurora-prod-01')).rejects.toMatchObject({ code: 'TIMEOUT', details: { attempts: 2 } });
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(2);
  });
});
