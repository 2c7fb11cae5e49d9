import { RemoteError, errorMessage } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import { dialectOf } from '../engine/admin-dialect.js';

/**
 * A replica whose replication a compare stops, and starting it again on every way out: success,
 * refusal, failure, timeout. Registered before its STOP is sent (a STOP that fails on the client
 * may still take effect on the server), so whatever happens after, it is started again.
 */
export interface HeldReplica {
  readonly admin: MysqlAdmin;
  /** What it is to the operator: the reference serves reads (stale while stopped), the new copy not yet. */
  readonly role: 'reference' | 'new copy';
  /**
   * A START ... UNTIL was sent and its stop at the position not seen: it may still be running up
   * to there, and stop then. A plain START does not undo that (measured on MariaDB 10.11 and
   * MySQL 9.7: on a running applier it is a no-op that keeps the UNTIL), so a STOP goes first.
   */
  untilPending: boolean;
}

export function holdReplica(admin: MysqlAdmin, role: HeldReplica['role']): HeldReplica {
  return { admin, role, untilPending: false };
}

/** Bound of each statement that starts a replica again, whatever deadline the compare had. */
export const RESTART_TIMEOUT_MS = 10_000;

/** Thrown when replication runs again on neither connection tried: the operator must start it. */
export class ReplicationLeftStopped extends RemoteError {
  constructor(message: string, next: string, cause: unknown, stopped: readonly string[]) {
    super('VERIFY_LEFT_STOPPED', message, { next, cause, details: { stopped } });
  }
}

/**
 * Starts replication again on every held replica, each with its own deadline, and checks that
 * both its threads run. After a failure (`failure` set) it goes to a fresh connection first (the
 * compare's session may be dead, or half way through a statement given up on), else to the
 * compare's session first; the other is the fallback. A replica that does not run again is an
 * error naming it, with the command to run, whatever else went wrong before (that is told too).
 */
export async function restartHeld(held: readonly HeldReplica[], reconnect: (a: MysqlAdmin) => Promise<MysqlAdmin>, failure: unknown): Promise<void> {
  const failed = (await Promise.all(held.map(async (h) => ({ h, why: await restartOne(h, reconnect, failure !== undefined) })))).filter((r) => r.why !== undefined);
  if (failed.length === 0) return;
  const where = failed.map(({ h, why }) => `the ${h.role} ${hostPort(h)} (${restartCommand(h)} failed ${why ?? ''})`);
  const commands = failed.map(({ h }) => restartCommand(h)).join(', and ');
  const check = dialectOf(failed[0]!.h.admin).replicaStatusQuery().redacted;
  const stale = failed.some(({ h }) => h.role === 'reference') ? ' (a stopped reference serves stale reads)' : '';
  // the failure may itself be one left stopped (the reference's applier after its snapshot pause): keep its command too
  const earlier = failure instanceof RemoteError && failure.code === 'VERIFY_LEFT_STOPPED' ? failure : undefined;
  throw new ReplicationLeftStopped(
    `replication could not be started again on ${where.join(', ')}${failure === undefined ? '' : `, after the compare failed: ${errorMessage(failure)}`}`,
    `run ${commands} now${stale} and check with ${check} that both threads run${earlier?.next ? `; and ${earlier.next}` : '; then fix what made the compare fail and resume'}`,
    failure,
    [...failed.map(({ h }) => hostPort(h)), ...stoppedOf(earlier)],
  );
}

function stoppedOf(e: RemoteError | undefined): string[] {
  const s = e?.details['stopped'];
  return Array.isArray(s) ? s.map(String) : [];
}

/** The exact statements the operator runs, with where. */
function restartCommand(h: HeldReplica): string {
  const d = dialectOf(h.admin);
  const spell = (s: readonly { redacted: string }[]): string => s.map((x) => x.redacted).join('; ');
  return `${h.untilPending ? `${spell(d.stopReplica())}, then ` : ''}${spell(d.startReplica())} on ${hostPort(h)}`;
}

function hostPort(h: HeldReplica): string {
  return `${h.admin.endpoint.host}:${h.admin.endpoint.port}`;
}

/** Undefined once it runs again; else what each connection tried answered. */
async function restartOne(h: HeldReplica, reconnect: (a: MysqlAdmin) => Promise<MysqlAdmin>, afterFailure: boolean): Promise<string | undefined> {
  const session = { how: "on verify's session", open: (): Promise<MysqlAdmin> => Promise.resolve(h.admin) };
  const fresh = { how: 'on a fresh connection', open: (): Promise<MysqlAdmin> => reconnect(h.admin) };
  const tried: string[] = [];
  for (const { how, open } of afterFailure ? [fresh, session] : [session, fresh]) {
    let conn: MysqlAdmin | undefined;
    try {
      conn = await open();
      await startOn(conn, h);
      return undefined;
    } catch (e) {
      tried.push(`${how}: ${errorMessage(e)}`);
    } finally {
      if (conn && conn !== h.admin) await conn.close().catch(() => undefined);
    }
  }
  return tried.join('; ');
}

async function startOn(a: MysqlAdmin, h: HeldReplica): Promise<void> {
  const o = { timeoutMs: RESTART_TIMEOUT_MS };
  if (h.untilPending) {
    await a.stopReplica(o);
    h.untilPending = false;
  }
  await a.startReplica(o);
  const st = await a.replicaStatus(o);
  if (!st) throw new RemoteError('VERIFY_RESTART', 'it shows no replication after the START');
  // right after a START the IO thread may still be connecting: it runs; a stopped one does not
  if (!st.sqlRunning || st.ioRunning === 'no') {
    const error = st.lastSqlError || st.lastIoError;
    throw new RemoteError('VERIFY_RESTART', `started, but io=${st.ioRunning} sql=${st.sqlRunning ? 'yes' : 'no'}${error ? ` (${error})` : ''}`);
  }
}
