import { replicationGtidPlan } from './gtid-mode-read.js';
import { dialectOf } from './migrate-connect.js';
import type { MigrateState } from './migrate-state.js';
import type { MigrateEnv, WriterConnections } from './migrate-env.js';
import { buildRunbook, type Runbook, type RunbookInput } from './runbook.js';
import { describeInstance, type Side } from './sides.js';

/** The runbook for a direction, from the config, the servers' dialects and the journaled snapshot. */
export async function runbookFor(
  env: MigrateEnv,
  conns: WriterConnections,
  direction: RunbookInput['direction'],
  from: Side,
  to: Side,
  state: MigrateState & { snapshot: NonNullable<MigrateState['snapshot']> },
): Promise<Runbook> {
  const c = env.config;
  const [a, b] = [await conns.get(from), await conns.get(to)];
  const gtid = await replicationGtidPlan(a, describeInstance(from.writer), b, describeInstance(to.writer));
  return buildRunbook({
    direction,
    from,
    to,
    dialects: { from: dialectOf(a), to: dialectOf(b) },
    zone: c.dns.zone,
    writeUsers: c.write_users,
    replication: { user: c.replication.user, ssl: c.replication.ssl },
    dns: state.snapshot.dns,
    readerEntriesAfter: state.snapshot.readerEntriesAfter,
    cutoverTtl: c.cutover.ttl_s,
    writesStoppedMs: c.cutover.writes_stopped_ms,
    writesStoppedProof: c.cutover.writes_stopped_proof,
    lockWaitS: c.cutover.lock_wait_s,
    replicationWaitMs: c.cutover.replication_wait_ms,
    recorded: { fromFinal: state.fromFinal, toPosition: state.toPosition },
    oldWriterAssignsGtids: gtid.kind === 'assign',
  });
}
