import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin, QueryOptions } from '../../mysql/admin.js';
import { gtidPosition } from '../engine/admin-dialect.js';
import { RESTART_TIMEOUT_MS, holdReplica, restartHeld } from './held-replica.js';
import { SnapshotPauseFailed, checkReferenceReplicates, openSnapshot, snapshotSupport, type SnapshotSupport } from './reference-snapshot.js';
import { runToPosition } from './run-to-position.js';
import { sideBySide } from './side-by-side.js';

export interface TableChecksum {
  table: string;
  checksum: string | null;
}

/**
 * How the two copies are brought to one position:
 * - `snapshot`: the reference (a serving replica) keeps replicating and is read in a consistent
 *   snapshot at that snapshot's exact position (MariaDB: its mysql.gtid_slave_pos inside the
 *   snapshot; MySQL: @@gtid_executed read while its applier is paused for the milliseconds the
 *   snapshot takes to open, see reference-snapshot.ts); only the new copy stops, run up to exactly that
 *   position. A table that differs is compared again by `stop-both` before anything is refused
 *   (DDL or a non-transactional table can differ in a snapshot).
 * - `stop-both`: both stop and run up to the master's position; the reference serves reads as of
 *   that position while its tables are checksummed. The fallback for a reference whose
 *   gtid_slave_pos is not InnoDB, or whose applier could not be paused in time.
 */
export type CompareMode = 'snapshot' | 'stop-both';

export interface ChecksumReport {
  /** The master GTID position both copies were compared at. */
  position: string;
  mode: CompareMode;
  tables: { table: string; a: string | null; b: string | null; equal: boolean }[];
  equal: boolean;
  /** Tables that differed in the snapshot and were compared again with both stopped (snapshot mode). */
  rechecked?: { position: string; tables: string[] };
}

const SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')";
const IDENT = /^[A-Za-z0-9_$]{1,64}$/;

/** Every user table (base tables outside the system schemas), in name order. */
async function userTables(a: MysqlAdmin, signal: AbortSignal): Promise<string[]> {
  const rows = await a.session.query(`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ${SYSTEM} ORDER BY 1, 2`, [], { signal });
  return rows.map((r) => `${String(r['s'])}.${String(r['t'])}`);
}

/**
 * CHECKSUM TABLE ... EXTENDED of each table. Inside a consistent snapshot these are consistent
 * reads of InnoDB tables: rows committed after the snapshot are not seen. One given up on (its
 * deadline, or `signal` when the other copy's failed) is killed on the server: a whole-table
 * read must not go on on a serving reference for nobody.
 */
async function checksums(a: MysqlAdmin, tables: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<TableChecksum[]> {
  const o: QueryOptions = { timeoutMs, signal, killOnTimeout: true };
  const out: TableChecksum[] = [];
  for (const table of tables) {
    const [s = '', t = ''] = table.split('.');
    if (!IDENT.test(s) || !IDENT.test(t)) throw new RemoteError('VERIFY_UNSAFE_NAME', `table ${table} has a name dbfleet will not quote; compare it by hand`);
    const c = (await a.session.query(`CHECKSUM TABLE \`${s}\`.\`${t}\` EXTENDED`, [], o))[0];
    out.push({ table, checksum: c?.['Checksum'] === null || c?.['Checksum'] === undefined ? null : String(c['Checksum']) });
  }
  return out;
}

/** Checksums of the union of both table lists (or of `only`), side by side; one failing cancels the other. */
async function compareAt(a: MysqlAdmin, b: MysqlAdmin, position: string, mode: CompareMode, timeoutMs: number, only?: readonly string[]): Promise<ChecksumReport> {
  const lists = only ? [] : await sideBySide([a, b].map((x) => (signal: AbortSignal) => userTables(x, signal)));
  const names = only ?? [...new Set(lists.flat())].sort();
  const [ca = [], cb = []] = await sideBySide([a, b].map((x) => (signal: AbortSignal) => checksums(x, names, timeoutMs, signal)));
  const tables = names.map((table) => {
    const x = ca.find((c) => c.table === table)?.checksum ?? null;
    const y = cb.find((c) => c.table === table)?.checksum ?? null;
    return { table, a: x, b: y, equal: x !== null && x === y };
  });
  return { position, mode, tables, equal: tables.every((t) => t.equal) };
}

export interface CompareOptions {
  /** Deadline of each wait and of each table's checksum (default 60 s). */
  timeoutMs?: number;
  /** Default: `snapshot` unless the reference cannot be read in one (then `stop-both`); `snapshot` given refuses that fallback. */
  mode?: CompareMode;
  /** Called once both copies stand at the position, before the checksums (a test crash point). */
  atPosition?: () => void | Promise<void>;
  /** Told why the reference had to be stopped after all (stop-both mode, or a snapshot re-check). */
  onReferenceStopped?: (why: string) => void;
  /**
   * A fresh admin for a server: after a failure, replication is started again through one first
   * (the compare's session may be dead), and (MySQL) the reference's applier is paused and
   * resumed on one. Closed by the compare when done with it.
   */
  reconnect: (a: MysqlAdmin) => Promise<MysqlAdmin>;
  /** Bound of the reference applier's pause for the snapshot's position (MySQL; default SNAPSHOT_PAUSE_TIMEOUT_S). */
  snapshotPauseTimeoutS?: number;
}

/**
 * Both stop and run up to the master's position read after they stopped (read first, and a fast
 * replica may already have gone beyond); the checksums are taken there and both start again,
 * whatever failed (restartHeld: on a fresh connection after a failure, each with its own deadline).
 */
async function compareStopped(master: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, timeoutMs: number, only: readonly string[] | undefined, o: CompareOptions, atPosition?: () => void | Promise<void>): Promise<ChecksumReport> {
  const held = [holdReplica(a, 'reference'), holdReplica(b, 'new copy')];
  let failure: unknown;
  try {
    // both STOPs end before anything else is decided: one still under way would stop a replica after its restart
    await sideBySide(held.map((h) => () => h.admin.stopReplica()));
    const position = await gtidPosition(master);
    await sideBySide(held.map((h) => (signal: AbortSignal) => runToPosition(h, position, timeoutMs, signal)));
    await atPosition?.();
    return await compareAt(a, b, position, 'stop-both', timeoutMs, only);
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    await restartHeld(held, o.reconnect, failure);
  }
}

/** The new copy stops and runs up to the position of a snapshot opened on the reference, which never stops. */
async function compareInSnapshot(a: MysqlAdmin, b: MysqlAdmin, support: SnapshotSupport, timeoutMs: number, o: CompareOptions): Promise<ChecksumReport> {
  await checkReferenceReplicates(a);
  const copy = holdReplica(b, 'new copy');
  let failure: unknown;
  try {
    await b.stopReplica();
    const stoppedAt = await b.appliedGtid();
    // the reference has applied at least what the new copy has, so the snapshot is not behind it
    if (stoppedAt) await a.waitForGtid(stoppedAt, timeoutMs);
    const position = await openSnapshot(a, support, { connect: () => o.reconnect(a), resumeTimeoutMs: timeoutMs, ...(o.snapshotPauseTimeoutS !== undefined ? { pauseTimeoutS: o.snapshotPauseTimeoutS } : {}) });
    await runToPosition(copy, position, timeoutMs, undefined, ` (the reference's snapshot position: a transaction of ${a.endpoint.host}'s own, not from the master?)`);
    await o.atPosition?.();
    return await compareAt(a, b, position, 'snapshot', timeoutMs);
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    // the reference never stopped serving (its applier, paused for the snapshot, was started
    // again then); its snapshot ends (a dead session ended it already), and the new copy starts again
    await Promise.all([a.session.query('COMMIT', [], { timeoutMs: RESTART_TIMEOUT_MS }).catch(() => undefined), restartHeld([copy], o.reconnect, failure)]);
  }
}

/**
 * Compares every table of two replicas of one master, `a` the reference (a current, serving
 * replica) and `b` the new copy, at the same replication position, without blocking the master.
 * By default (`snapshot`) the reference never stops: `b` stops, the reference is waited for until
 * it has applied at least as much, a consistent snapshot is opened on it, and `b` is run up to
 * exactly the snapshot's position; a crash leaves only `b` (not serving) stopped, and the snapshot
 * ends with the connection. Tables that differ there are compared again with both stopped at the
 * master's position, and only that verdict counts.
 *
 * Every replica it stops is started again on every way out, success or failure (a failing step
 * on one copy first cancels the step under way on the other); after a failure on a fresh
 * connection (`reconnect`), as the compare's own session may be dead. One that cannot be started
 * again makes the error a ReplicationLeftStopped (VERIFY_LEFT_STOPPED) naming it and the command
 * to run. After a failure, the sessions of `a` and `b` may be closed (a query given up on closes its session).
 */
export async function compareReplicas(master: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, o: CompareOptions): Promise<ChecksumReport> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  if (o.mode === 'stop-both') {
    o.onReferenceStopped?.('stopping both copies, as asked');
    return compareStopped(master, a, b, timeoutMs, undefined, o, o.atPosition);
  }
  const support = await snapshotSupport(a);
  if ('unusable' in support) {
    if (o.mode === 'snapshot') throw new RemoteError('VERIFY_NO_SNAPSHOT', `${a.endpoint.host} cannot be read in a snapshot: ${support.unusable}`, { next: 'compare with both stopped (the default falls back to it)' });
    o.onReferenceStopped?.(`the reference cannot be read in a snapshot: ${support.unusable}`);
    return compareStopped(master, a, b, timeoutMs, undefined, o, o.atPosition);
  }
  let snap: ChecksumReport;
  try {
    snap = await compareInSnapshot(a, b, support, timeoutMs, o);
  } catch (e) {
    if (!(e instanceof SnapshotPauseFailed) || o.mode === 'snapshot') throw e;
    o.onReferenceStopped?.(`the reference could not be read in a snapshot: ${e.message}`);
    return compareStopped(master, a, b, timeoutMs, undefined, o, o.atPosition);
  }
  const differ = snap.tables.filter((t) => !t.equal).map((t) => t.table);
  if (differ.length === 0) return snap;
  // a DDL replicated after the snapshot, a table made after its position, a non-transactional
  // table: each differs in a snapshot without any drift; only both stopped at one position decide
  o.onReferenceStopped?.(`${differ.join(', ')} differed in the snapshot at ${snap.position}: comparing ${differ.length === 1 ? 'it' : 'them'} again with both stopped`);
  const again = await compareStopped(master, a, b, timeoutMs, differ, o);
  const redone = new Map(again.tables.map((t) => [t.table, t]));
  const tables = snap.tables.map((t) => redone.get(t.table) ?? t);
  return { position: snap.position, mode: 'snapshot', tables, equal: tables.every((t) => t.equal), rechecked: { position: again.position, tables: differ } };
}
