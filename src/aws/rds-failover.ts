import { FailoverDBClusterCommand, type DBCluster, type RDSClient } from '@aws-sdk/client-rds';
import { SafetyRefusal } from '../core/errors.js';
import { callAws, type AwsCallContext } from './aws-call.js';
import type { FailoverOutcome } from './rds-api.js';
import { readDbCluster } from './rds-describe-cluster.js';
import { verifyReadBack, type VerifyPolicy } from './verify-read-back.js';

/** An Aurora failover takes 30-60 s; RDS may report the new writer a little later still. */
export const DEFAULT_FAILOVER_VERIFY: VerifyPolicy = Object.freeze({ timeoutMs: 180_000, intervalMs: 5_000 });

function writerOf(cluster: DBCluster): string | undefined {
  return cluster.DBClusterMembers?.find((m) => m.IsClusterWriter === true)?.DBInstanceIdentifier;
}

/**
 * A planned failover: precheck (the cluster is available, the target is a member), act
 * (FailoverDBCluster, sent once: it is not idempotent), verify (read the cluster back until RDS
 * shows the new writer). An OK from FailoverDBCluster proves nothing by itself.
 */
export async function failoverCluster(
  client: RDSClient,
  ctx: AwsCallContext,
  verify: VerifyPolicy,
  clusterId: string,
  targetInstanceId: string | undefined,
  signal?: AbortSignal,
): Promise<FailoverOutcome> {
  const log = ctx.logger.child({ cluster: clusterId, phase: 'rds-failover' });
  const before = await readDbCluster(client, ctx, clusterId, signal);
  const previousWriter = writerOf(before);
  const members = (before.DBClusterMembers ?? []).map((m) => m.DBInstanceIdentifier);
  if (targetInstanceId !== undefined && !members.includes(targetInstanceId)) {
    throw new SafetyRefusal('FAILOVER_TARGET_NOT_MEMBER', `${targetInstanceId} is not an instance of cluster ${clusterId} (members: ${members.join(', ') || 'none'})`, {
      next: 'name one of the cluster\'s instances as the target',
    });
  }
  if (targetInstanceId !== undefined && targetInstanceId === previousWriter) {
    log.info({ writer: previousWriter }, 'failover not needed: the target already is the writer');
    return { clusterId, previousWriter, newWriter: targetInstanceId, changed: false, verifiedAfterMs: 0, polls: 0 };
  }
  if (before.Status !== 'available') {
    throw new SafetyRefusal('CLUSTER_NOT_AVAILABLE', `cluster ${clusterId} is "${before.Status ?? 'unknown'}", not "available": a failover now could stack on another operation`, {
      retryable: true,
      next: 'wait until the cluster is available, then retry',
    });
  }

  log.info({ before: previousWriter, target: targetInstanceId ?? '(RDS chooses)' }, 'sending FailoverDBCluster');
  await callAws(ctx, `FailoverDBCluster ${clusterId}`, { signal, idempotent: false }, (s) =>
    client.send(new FailoverDBClusterCommand({ DBClusterIdentifier: clusterId, TargetDBInstanceIdentifier: targetInstanceId }), { abortSignal: s }),
  );

  const verified = await verifyReadBack(
    ctx,
    `FailoverDBCluster ${clusterId} to ${targetInstanceId ?? 'another instance'}`,
    verify,
    signal,
    () => readDbCluster(client, ctx, clusterId, signal),
    (c) => {
      const w = writerOf(c);
      return targetInstanceId !== undefined ? w === targetInstanceId : w !== undefined && w !== previousWriter;
    },
    (c) => `writer ${writerOf(c) ?? '(none)'} with cluster status "${c.Status ?? 'unknown'}"`,
  );
  const newWriter = writerOf(verified.value) as string;
  log.info({ before: previousWriter, after: newWriter, waitedMs: verified.waitedMs, polls: verified.polls }, 'failover verified: RDS reports the new writer');
  return { clusterId, previousWriter, newWriter, changed: true, verifiedAfterMs: verified.waitedMs, polls: verified.polls };
}
