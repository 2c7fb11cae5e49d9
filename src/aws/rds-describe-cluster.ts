import {
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { callAws, type AwsCallContext } from './aws-call.js';
import { AWS_ERROR_CODES, AwsApiError } from './aws-errors.js';
import type { AuroraCluster, AuroraMember } from './rds-api.js';

/** An Aurora cluster has at most 16 instances; more pages than this means a broken marker. */
const MAX_PAGES = 50;

/** DescribeDBClusters for one cluster; AWS_NOT_FOUND when RDS does not know it. */
export async function readDbCluster(client: RDSClient, ctx: AwsCallContext, clusterId: string, signal?: AbortSignal): Promise<DBCluster> {
  const what = `DescribeDBClusters ${clusterId}`;
  const out = await callAws(ctx, what, { signal, idempotent: true }, (s) =>
    client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterId }), { abortSignal: s }),
  );
  // Identifiers are case-insensitive and RDS stores them in lower case.
  const cluster = out.DBClusters?.find((c) => c.DBClusterIdentifier?.toLowerCase() === clusterId.toLowerCase());
  if (!cluster) {
    throw new AwsApiError(
      AWS_ERROR_CODES.notFound,
      `${what}: the answer does not contain cluster ${clusterId}`,
      { awsCode: 'DBClusterNotFoundFault', $fault: 'client', httpStatusCode: out.$metadata?.httpStatusCode, requestId: out.$metadata?.requestId },
      { next: 'check the rds_cluster identifier and region in the config' },
    );
  }
  return cluster;
}

/** DescribeDBInstances filtered by db-cluster-id, every page (Marker) read. */
export async function readDbInstances(client: RDSClient, ctx: AwsCallContext, clusterId: string, signal?: AbortSignal): Promise<DBInstance[]> {
  const instances: DBInstance[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const what = `DescribeDBInstances db-cluster-id=${clusterId} page ${page}`;
    const out = await callAws(ctx, what, { signal, idempotent: true }, (s) =>
      client.send(
        new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [clusterId] }], MaxRecords: 100, Marker: marker }),
        { abortSignal: s },
      ),
    );
    instances.push(...(out.DBInstances ?? []));
    marker = out.Marker;
    if (!marker) return instances;
    if (seen.has(marker)) break;
    seen.add(marker);
  }
  throw new AwsApiError(
    AWS_ERROR_CODES.unexpected,
    `DescribeDBInstances db-cluster-id=${clusterId}: pagination did not end after ${MAX_PAGES} pages (marker repeated or endless)`,
    { awsCode: 'PaginationLoop', $fault: 'server', httpStatusCode: undefined, requestId: undefined },
  );
}

/** Joins the cluster's member list (authoritative for membership) with instance details. Pure. */
export function toAuroraCluster(cluster: DBCluster, instances: readonly DBInstance[]): AuroraCluster {
  const byId = new Map(instances.map((i) => [i.DBInstanceIdentifier ?? '', i]));
  const members: AuroraMember[] = (cluster.DBClusterMembers ?? [])
    .filter((m) => m.DBInstanceIdentifier)
    .map((m) => {
      const id = m.DBInstanceIdentifier as string;
      const inst = byId.get(id);
      return {
        instanceId: id,
        isWriter: m.IsClusterWriter === true,
        promotionTier: m.PromotionTier,
        address: inst?.Endpoint?.Address,
        port: inst?.Endpoint?.Port,
        // a member RDS lists but DescribeDBInstances did not return is being added or removed
        status: inst?.DBInstanceStatus ?? 'unknown',
        availabilityZone: inst?.AvailabilityZone,
      };
    })
    .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
  return {
    clusterId: cluster.DBClusterIdentifier ?? '',
    engine: cluster.Engine ?? 'unknown',
    engineVersion: cluster.EngineVersion ?? 'unknown',
    status: cluster.Status ?? 'unknown',
    writerEndpoint: cluster.Endpoint,
    readerEndpoint: cluster.ReaderEndpoint,
    port: cluster.Port,
    members,
  };
}

export async function describeAuroraCluster(client: RDSClient, ctx: AwsCallContext, clusterId: string, signal?: AbortSignal): Promise<AuroraCluster> {
  const cluster = await readDbCluster(client, ctx, clusterId, signal);
  const instances = await readDbInstances(client, ctx, clusterId, signal);
  return toAuroraCluster(cluster, instances);
}
