import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import { checkReferenceReplicates, openSnapshot, snapshotSupport, type SlavePosTables } from './reference-snapshot.js';

export interface TableChecksum {
  table: string;
  checksum: string | null;
}

/**
 * How the two copies are brought to one position:
 * - `snapshot`: the reference (a serving replica) keeps replicating and is read in a consistent
 *   snapshot at the position its mysql.gtid_slave_pos shows inside it; only the new copy stops,
 *   run up to exactly that position. A table that differs is compared again by `stop-both`
 *   before anything is refused (DDL or a non-transactional table can differ in a snapshot).
 * - `stop-both`: both stop and run up to the master's position; the reference serves reads as of
 *   that position while its tables are checksummed. The fallback for a reference whose
 *   gtid_slave_pos is not InnoDB.
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
const GTID_POSITION = /^[0-9,-]*$/;

/** Every user table (base tables outside the system schemas), in name order. */
async function userTables(a: MysqlAdmin): Promise<string[]> {
  const rows = await a.session.query(`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ${SYSTEM} ORDER BY 1, 2`);
  return rows.map((r) => `${String(r['s'])}.${String(r['t'])}`);
}

/**
 * CHECKSUM TABLE ... EXTENDED of each table. Inside a consistent snapshot these are consistent
 * reads of InnoDB tables: rows committed after the snapshot are not seen.
 */
async function checksums(a: MysqlAdmin, tables: readonly string[], timeoutMs: number): Promise<TableChecksum[]> {
  const out: TableChecksum[] = [];
  for (const table of tables) {
    const [s = '', t = ''] = table.split('.');
    if (!IDENT.test(s) || !IDENT.test(t)) throw new RemoteError('VERIFY_UNSAFE_NAME', `table ${table} has a name dbfleet will not quote; compare it by hand`);
    const c = (await a.session.query(`CHECKSUM TABLE \`${s}\`.\`${t}\` EXTENDED`, [], { timeoutMs }))[0];
    out.push({ table, checksum: c?.['Checksum'] === null || c?.['Checksum'] === undefined ? null : String(c['Checksum']) });
  }
  return out;
}

const gtidSlavePos = async (a: MysqlAdmin): Promise<string> => String((await a.session.query('SELECT @@gtid_slave_pos AS pos'))[0]?.['pos'] ?? '');
const normalized = (g: string): string => g.split(',').map((x) => x.trim()).filter(Boolean).sort().join(',');

/**
 * Runs a stopped replica up to exactly `position` (MariaDB START SLAVE UNTIL master_gtid_pos) and
 * waits until it has stopped there.
 */
async function runUntil(a: MysqlAdmin, position: string, timeoutMs: number, hint = ''): Promise<void> {
  if (!GTID_POSITION.test(position)) throw new RemoteError('VERIFY_BAD_POSITION', `not a GTID position: ${position}`);
  await a.session.query(`START SLAVE UNTIL master_gtid_pos = '${position}'`);
  // first reach the position (the SQL thread may not have started yet, so "stopped" alone proves nothing)
  await a.waitForGtid(position, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await a.replicaStatus();
    if (s && !s.sqlRunning) {
      if (s.lastSqlErrno !== 0) throw new RemoteError('VERIFY_REPLICATION_ERROR', `${a.endpoint.host}: replication stopped with an error: ${s.lastSqlError}`);
      const at = await gtidSlavePos(a);
      if (normalized(at) !== normalized(position)) throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} stopped at ${at}, not at ${position}${hint}; compare again`);
      return;
    }
    if (Date.now() > deadline) throw new RemoteError('VERIFY_TIMEOUT', `${a.endpoint.host} did not reach ${position} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Checksums of the union of both table lists (or of `only`), side by side. */
async function compareAt(a: MysqlAdmin, b: MysqlAdmin, position: string, mode: CompareMode, timeoutMs: number, only?: readonly string[]): Promise<ChecksumReport> {
  const names = only ?? [...new Set([...(await userTables(a)), ...(await userTables(b))])].sort();
  const [ca, cb] = await Promise.all([checksums(a, names, timeoutMs), checksums(b, names, timeoutMs)]);
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
  /** Default: `snapshot` unless the reference's gtid_slave_pos is not InnoDB (then `stop-both`); `snapshot` given refuses that fallback. */
  mode?: CompareMode;
  /** Called once both copies stand at the position, before the checksums (a test crash point). */
  atPosition?: () => void | Promise<void>;
  /** Told why the reference had to be stopped after all (stop-both mode, or a snapshot re-check). */
  onReferenceStopped?: (why: string) => void;
}

/**
 * Both stop and run up to the master's position read after they stopped (read first, and a fast
 * replica may already have gone beyond); the checksums are taken there and both resume.
 */
async function compareStopped(master: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, timeoutMs: number, only: readonly string[] | undefined, atPosition?: () => void | Promise<void>): Promise<ChecksumReport> {
  try {
    await Promise.all([a, b].map((x) => x.session.query('STOP SLAVE')));
    const position = String((await master.session.query('SELECT @@gtid_binlog_pos AS pos'))[0]?.['pos'] ?? '');
    await Promise.all([runUntil(a, position, timeoutMs), runUntil(b, position, timeoutMs)]);
    await atPosition?.();
    return await compareAt(a, b, position, 'stop-both', timeoutMs, only);
  } finally {
    await Promise.all([a, b].map((x) => x.session.query('START SLAVE').catch(() => undefined)));
  }
}

/** The new copy stops and runs up to the position of a snapshot opened on the reference, which never stops. */
async function compareInSnapshot(a: MysqlAdmin, b: MysqlAdmin, tables: SlavePosTables, timeoutMs: number, atPosition?: () => void | Promise<void>): Promise<ChecksumReport> {
  await checkReferenceReplicates(a);
  try {
    await b.session.query('STOP SLAVE');
    const stoppedAt = await gtidSlavePos(b);
    // the reference has applied at least what the new copy has, so the snapshot is not behind it
    if (stoppedAt) await a.waitForGtid(stoppedAt, timeoutMs);
    const position = await openSnapshot(a, tables);
    await runUntil(b, position, timeoutMs, ` (the reference's snapshot position: a transaction of ${a.endpoint.host}'s own, not from the master?)`);
    await atPosition?.();
    return await compareAt(a, b, position, 'snapshot', timeoutMs);
  } finally {
    await a.session.query('COMMIT').catch(() => undefined);
    await b.session.query('START SLAVE').catch(() => undefined);
  }
}

/**
 * Compares every table of two replicas of one master, `a` the reference (a current, serving
 * replica) and `b` the new copy, at the same replication position, without blocking the master.
 * By default (`snapshot`) the reference never stops: `b` stops, the reference is waited for until
 * it has applied at least as much, a consistent snapshot is opened on it, and `b` is run up to
 * exactly the snapshot's position; a crash leaves only `b` (not serving) stopped, and the snapshot
 * ends with the connection. Tables that differ there are compared again with both stopped at the
 * master's position, and only that verdict counts. Replication resumes on what was stopped.
 */
export async function compareReplicas(master: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, o: CompareOptions = {}): Promise<ChecksumReport> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  if (o.mode === 'stop-both') {
    o.onReferenceStopped?.('stopping both copies, as asked');
    return compareStopped(master, a, b, timeoutMs, undefined, o.atPosition);
  }
  const support = await snapshotSupport(a);
  if ('unusable' in support) {
    if (o.mode === 'snapshot') throw new RemoteError('VERIFY_NO_SNAPSHOT', `${a.endpoint.host} cannot be read in a snapshot: ${support.unusable}`, { next: 'compare with both stopped (the default falls back to it)' });
    o.onReferenceStopped?.(`the reference cannot be read in a snapshot: ${support.unusable}`);
    return compareStopped(master, a, b, timeoutMs, undefined, o.atPosition);
  }
  const snap = await compareInSnapshot(a, b, support.tables, timeoutMs, o.atPosition);
  const differ = snap.tables.filter((t) => !t.equal).map((t) => t.table);
  if (differ.length === 0) return snap;
  // a DDL replicated after the snapshot, a table made after its position, a non-transactional
  // table: each differs in a snapshot without any drift; only both stopped at one position decide
  o.onReferenceStopped?.(`${differ.join(', ')} differed in the snapshot at ${snap.position}: comparing ${differ.length === 1 ? 'it' : 'them'} again with both stopped`);
  const again = await compareStopped(master, a, b, timeoutMs, differ);
  const redone = new Map(again.tables.map((t) => [t.table, t]));
  const tables = snap.tables.map((t) => redone.get(t.table) ?? t);
  return { position: snap.position, mode: 'snapshot', tables, equal: tables.every((t) => t.equal), rechecked: { position: again.position, tables: differ } };
}
