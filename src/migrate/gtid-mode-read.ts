import { RemoteError } from '../core/errors.js';
import type { MysqlAdmin } from '../mysql/admin.js';
import { dialectOf } from './migrate-connect.js';
import { asGtidMode, gtidPairPlan, type GtidMode, type GtidPairPlan } from './gtid-mode-plan.js';

/** The server's @@gtid_mode through its dialect; undefined on MariaDB (no such mode). */
export async function gtidModeOf(a: MysqlAdmin): Promise<GtidMode | undefined> {
  const q = dialectOf(a).gtidModeQuery();
  if (!q) return undefined;
  const raw = (await a.session.query(q.sql, q.params))[0]?.['mode'];
  const mode = asGtidMode(raw);
  if (!mode) throw new RemoteError('MIGRATE_GTID_MODE', `${a.endpoint.host}:${a.endpoint.port} reports gtid_mode ${String(raw)}`, { next: 'expected OFF, OFF_PERMISSIVE, ON_PERMISSIVE or ON' });
  return mode;
}

/** What making `replica` a replica of `source` by position needs, from both servers' gtid_mode (gtid-mode-plan.ts). */
export async function replicationGtidPlan(replica: MysqlAdmin, replicaName: string, source: MysqlAdmin, sourceName: string): Promise<GtidPairPlan> {
  return gtidPairPlan(
    { name: replicaName, mode: await gtidModeOf(replica), canAssign: dialectOf(replica).assignGtidsToAnonymous() !== undefined },
    { name: sourceName, mode: await gtidModeOf(source) },
  );
}
