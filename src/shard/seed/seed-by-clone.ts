import { RemoteError, errorMessage } from '../../core/errors.js';
import type { CloneDonor } from '../../mysql/dialect.js';
import type { MysqldManager } from '../mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../mysqld/mysqld-spec.js';
import { RootSqlError, type RootClient } from './root-client.js';

/** Restart failed (mysqld is not managed by supervisor process): the recipient shut down to finish the clone at its next start. */
const CLONE_NEEDS_RESTART = 3707;

/** Thrown when CLONE INSTANCE itself failed (the donor refused, a plugin mismatch, the network): a dump can still seed the copy. */
export class CloneFailedError extends RemoteError {
  constructor(message: string, cause?: unknown) {
    super('SEED_CLONE_FAILED', message, { cause, retryable: true });
  }
}

export interface CloneRecipient {
  manager: MysqldManager;
  spec: MysqldSpec;
  root: RootClient;
}

/**
 * A physical copy of the donor (a current replica) into the new, empty mysqld: CLONE INSTANCE on
 * the recipient replaces its data with the donor's (data, routines, accounts, gtid_executed and
 * gtid_purged; server_uuid and my.cnf stay the recipient's). Without a supervisor the recipient
 * then shuts down (error 3707); it is started again here, root@localhost restored before it takes connections (the clone
 * brought the donor's; it becomes again what every new copy's template gives: auth_socket for the
 * host's OS user, unlogged, so the copy gets no GTID of its own; every other account stays the donor's). The clone also
 * carries the donor's replication settings: they are removed, catch-up attaches the copy with
 * dbfleet's own. Returns the GTID set the copy holds: where it starts replicating.
 */
export async function seedByClone(r: CloneRecipient, donor: CloneDonor, timeoutMs: number): Promise<{ gtid: string; databases: string[] }> {
  const d = await r.root.dialect();
  const pid = await r.manager.pid(r.spec);
  if (pid === undefined) throw new RemoteError('SEED_NOT_RUNNING', `${r.spec.name}: the new mysqld is not running; provision starts it`, { next: 'apply --resume (provision runs again)' });
  const sql = d.cloneInstanceFrom(donor).map((s) => `${s.sql};`).join('\n');
  try {
    await r.root.exec(sql, { timeoutMs, secrets: [donor.password] });
  } catch (e) {
    if (!(e instanceof RootSqlError) || e.errno !== CLONE_NEEDS_RESTART) {
      throw new CloneFailedError(`CLONE INSTANCE from ${donor.host}:${donor.port} failed: ${e instanceof RootSqlError ? e.serverError : errorMessage(e)}`, e);
    }
  }
  if (!(await r.manager.waitExited(pid, 120_000))) {
    throw new RemoteError('SEED_CLONE_NO_RESTART', `${r.spec.name} (pid ${pid}) did not shut down within 120 s after CLONE INSTANCE`, { next: `read ${r.manager.paths(r.spec).errorLog}; stop it, then apply --resume` });
  }
  // the first start finishes the clone (the donor's files take the place of the old ones)
  await r.manager.start(r.spec, { readyTimeoutMs: Math.max(60_000, Math.min(timeoutMs, 3_600_000)), restoreLocalRoot: true });
  await r.root.run([...d.stopReplica(), ...d.resetReplicaAll()]);
  return { gtid: await r.root.gtid(d.appliedGtidQuery()), databases: await r.root.userDatabases() };
}
