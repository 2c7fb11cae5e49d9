import { BugError } from '../core/errors.js';
import type { Dialect } from '../mysql/dialect.js';
import { DialectAdmin } from '../mysql/dialect-admin.js';
import type { MigrateState } from './cutover-phases.js';
import type { MigrateEnv, WriterConnections } from './migrate-env.js';
import { buildRunbook, type Runbook, type RunbookInput } from './runbook.js';
import type { Side } from './sides.js';

async function dialectOf(conns: WriterConnections, side: Side): Promise<Dialect> {
  const a = await conns.get(side);
  if (!(a instanceof DialectAdmin)) throw new BugError('migration admin connections are DialectAdmins');
  return a.dialect;
}

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
  return buildRunbook({
    direction,
    from,
    to,
    dialects: { from: await dialectOf(conns, from), to: await dialectOf(conns, to) },
    zone: c.dns.zone,
    writeUsers: c.write_users,
    replication: { user: c.replication.user, ssl: c.replication.ssl },
    dns: state.snapshot.dns,
    readerEntriesAfter: state.snapshot.readerEntriesAfter,
    cutoverTtl: c.cutover.ttl_s,
    writesStoppedMs: c.cutover.writes_stopped_ms,
    replicationWaitMs: c.cutover.replication_wait_ms,
    recorded: { fromFinal: state.fromFinal, toPosition: state.toPosition },
  });
}
