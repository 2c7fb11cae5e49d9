import type { AuroraCluster, RdsApi } from '../aws/rds-api.js';
import { RemoteError } from '../core/errors.js';
import type { ResolveAddress } from '../failover/topology/endpoint-resolver.js';
import type { MigrateInstance } from './migrate-schema.js';

/**
 * The target's writer and readers from RDS (`target.discover`): the member RDS calls the writer
 * and the other available members, each instance endpoint resolved to its address (the MyDNS
 * records hold addresses). Read once when a command starts; a cluster that is failing over, has no
 * available writer or an unresolvable endpoint is refused, naming the member.
 */
export function membersOf(cluster: AuroraCluster): { writer: AuroraCluster['members'][number]; readers: AuroraCluster['members'] } {
  const usable = cluster.members.filter((m) => m.status === 'available' && m.address !== undefined);
  const writers = usable.filter((m) => m.isWriter);
  if (cluster.status !== 'available' || writers.length !== 1) {
    throw new RemoteError('MIGRATE_DISCOVERY', `RDS cluster ${cluster.clusterId} is ${cluster.status} with ${writers.length} available writer(s) (${cluster.members.map((m) => `${m.instanceId}:${m.isWriter ? 'writer' : 'reader'}/${m.status}`).join(', ')})`, {
      next: 'wait until the cluster is available with one writer, then run the command again',
      retryable: true,
    });
  }
  return { writer: writers[0] as AuroraCluster['members'][number], readers: usable.filter((m) => !m.isWriter) };
}

export async function discoverTarget(rds: Pick<RdsApi, 'describeAuroraCluster'>, clusterId: string, resolve: ResolveAddress): Promise<{ writer: MigrateInstance; readers: MigrateInstance[] }> {
  const cluster = await rds.describeAuroraCluster(clusterId);
  const { writer, readers } = membersOf(cluster);
  const instance = async (m: AuroraCluster['members'][number]): Promise<MigrateInstance> => {
    let host: string;
    try {
      host = await resolve(m.address as string);
    } catch (e) {
      throw new RemoteError('MIGRATE_DISCOVERY', `cannot resolve ${m.instanceId}'s endpoint ${m.address}: ${(e as Error).message}`, { next: 'check DNS from this host (the VPC resolver), then run again', cause: e });
    }
    return { id: m.instanceId, host, port: m.port ?? cluster.port ?? 3306 };
  };
  return { writer: await instance(writer), readers: await Promise.all(readers.map(instance)) };
}
