import { ConfigError, SafetyRefusal, UsageError, errorMessage } from '../../core/errors.js';
import type { ClusterConfig, FleetConfig } from '../../core/config-schema.js';
import type { Endpoint, MysqlAdmin, Timeouts } from '../../mysql/admin.js';
import type { SwitchoverMember, SwitchoverRequest } from './online-switchover.js';

/** What `shard switchover` is to do: a switch, or finishing one that stopped after its promotion. */
export interface SwitchoverPlan {
  request: SwitchoverRequest;
  /**
   * The --to instance is the master already and still replicates from `request.master`, a
   * read-only member: an earlier switchover stopped after its promotion, and its later steps
   * (record, detach, connections, replicas, old master) are to be finished.
   */
  finishesPromotion: boolean;
}

/**
 * Builds a switchover request for a shard (a cluster of the fleet config) from what the servers
 * say now: the master is the one writable instance, and it must be the one the writer record
 * names (checked again inside the switchover). Refuses before anything changes.
 */
export async function switchoverRequestFor(
  config: FleetConfig,
  shard: string,
  to: string,
  secrets: { admin: string | undefined; repl: string },
  connect: (e: Endpoint, t: Timeouts) => Promise<MysqlAdmin>,
): Promise<SwitchoverPlan> {
  const cluster: ClusterConfig | undefined = config.clusters.find((c) => c.name === shard);
  if (!cluster) throw new UsageError(`no shard (cluster) named ${shard} in the config; it has ${config.clusters.map((c) => c.name).join(', ') || 'none'}`);
  if (!cluster.instances) throw new ConfigError(`shard ${shard} is discovered through RDS: an online switchover needs its instances listed (Aurora fails over with its own API)`);
  if (!config.replication) throw new ConfigError('the config has no replication section (user, password_file): the switchover re-points replicas with it');
  const members: SwitchoverMember[] = cluster.instances.map((i) => ({ id: i.id, host: i.host, port: i.port }));
  const candidate = members.find((m) => m.id === to);
  if (!candidate) throw new UsageError(`--to ${to} is not an instance of ${shard}; it has ${members.map((m) => m.id).join(', ')}`);
  const writable: SwitchoverMember[] = [];
  const readOnly = new Set<string>();
  let candidateSource: { host: string; port: number } | undefined;
  await Promise.all(
    members.map(async (m) => {
      let a: MysqlAdmin | undefined;
      try {
        a = await connect({ host: m.host, port: m.port, user: config.mysql.user, password: secrets.admin }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
        if ((await a.role()) === 'writer') writable.push(m);
        else readOnly.add(m.id);
        if (m === candidate) {
          const st = await a.replicaStatus();
          if (st) candidateSource = { host: st.sourceHost, port: st.sourcePort };
        }
      } catch (e) {
        if (m === candidate) throw new SafetyRefusal('CANDIDATE_UNREACHABLE', `${m.id} does not answer: ${errorMessage(e)}`);
      } finally {
        await a?.close();
      }
    }),
  );
  if (writable.length !== 1) {
    throw new SafetyRefusal(writable.length === 0 ? 'NO_MASTER' : 'SPLIT_BRAIN', `${shard} has ${writable.length} writable instances (${writable.map((w) => w.id).join(', ') || 'none'}); a switchover needs exactly one master`);
  }
  let master = writable[0] as SwitchoverMember;
  let finishesPromotion = false;
  if (master.id === candidate.id) {
    const old = members.find((m) => m !== candidate && readOnly.has(m.id) && m.host === candidateSource?.host && m.port === candidateSource.port);
    if (!old) throw new UsageError(`${to} is already the master of ${shard}`);
    master = old;
    finishesPromotion = true;
  }
  const request: SwitchoverRequest = {
    shard,
    writerName: cluster.writer_record,
    readerName: cluster.reader_record,
    zone: config.dns.zone,
    master,
    candidate,
    replicas: members.filter((m) => m !== master && m !== candidate),
    admin: { user: config.mysql.user, password: secrets.admin },
    repl: { user: config.replication.user, password: secrets.repl },
    appUsers: config.switchover.app_users,
    maxLagSeconds: config.switchover.max_lag_seconds,
    longTransactionSeconds: config.switchover.long_transaction_seconds,
    catchUpTimeoutMs: config.switchover.catch_up_timeout_ms,
    blockWritesTimeoutSeconds: config.switchover.block_writes_timeout_seconds,
    longStatementSeconds: config.switchover.long_statement_seconds,
  };
  return { request, finishesPromotion };
}
