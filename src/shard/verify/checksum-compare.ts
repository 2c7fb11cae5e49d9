import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import { asSwitch } from '../../mysql/row-values.js';

export interface TableChecksum {
  table: string;
  checksum: string | null;
}

/**
 * How the two copies are brought to one position:
 * - `snapshot`: the reference (a serving replica) keeps replicating and is read in a consistent
 *   snapshot whose GTID position comes from its own binlog; only the new copy stops, run up to
 *   exactly that position. Needs log_bin and log_slave_updates on the reference.
 * - `stop-both`: both stop and run up to the master's position; the reference serves stale reads
 *   while its tables are checksummed. The fallback for a reference without its own binlog.
 */
export type CompareMode = 'snapshot' | 'stop-both';

export interface ChecksumReport {
  /** The master GTID position both copies were compared at. */
  position: string;
  mode: CompareMode;
  tables: { table: string; a: string | null; b: string | null; equal: boolean }[];
  equal: boolean;
}

const SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')";
const IDENT = /^[A-Za-z0-9_$]{1,64}$/;
const GTID_POSITION = /^[0-9,-]*$/;

/**
 * Checksums of every user table (CHECKSUM TABLE ... EXTENDED), in name order. Inside a consistent
 * snapshot these are consistent reads: rows committed after the snapshot are not seen.
 */
async function checksums(a: MysqlAdmin, timeoutMs: number): Promise<TableChecksum[]> {
  const rows = await a.session.query(`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ${SYSTEM} ORDER BY 1, 2`);
  const out: TableChecksum[] = [];
  for (const r of rows) {
    const s = String(r['s']);
    const t = String(r['t']);
    if (!IDENT.test(s) || !IDENT.test(t)) throw new RemoteError('VERIFY_UNSAFE_NAME', `table ${s}.${t} has a name dbfleet will not quote; compare it by hand`);
    const c = (await a.session.query(`CHECKSUM TABLE \`${s}\`.\`${t}\` EXTENDED`, [], { timeoutMs }))[0];
    out.push({ table: `${s}.${t}`, checksum: c?.['Checksum'] === null || c?.['Checksum'] === undefined ? null : String(c['Checksum']) });
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

/** Whether the reference can be read at an exact position without stopping it: its binlog must log what it applies. */
export function snapshotUsable(v: { logBin: boolean; logSlaveUpdates: boolean }): boolean {
  return v.logBin && v.logSlaveUpdates;
}

async function referenceMode(a: MysqlAdmin): Promise<CompareMode> {
  const row = (await a.session.query('SELECT @@GLOBAL.log_bin AS log_bin, @@GLOBAL.log_slave_updates AS lsu'))[0] ?? {};
  return snapshotUsable({ logBin: asSwitch(row['log_bin'], 'log_bin'), logSlaveUpdates: asSwitch(row['lsu'], 'log_slave_updates') }) ? 'snapshot' : 'stop-both';
}

/**
 * Opens a consistent snapshot on `a` and returns the GTID position it stands at: the binlog
 * position MariaDB pairs with the snapshot (Binlog_snapshot_file/position), as a GTID position.
 */
async function openSnapshot(a: MysqlAdmin): Promise<string> {
  await a.session.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await a.session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  const status = new Map((await a.session.query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'")).map((r) => [String(r['Variable_name']).toLowerCase(), String(r['Value'])]));
  const file = status.get('binlog_snapshot_file') ?? '';
  const offset = Number(status.get('binlog_snapshot_position'));
  if (!file || !Number.isInteger(offset)) throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} gave no binlog position for its snapshot (binlog_snapshot_file '${file}')`);
  const position = String((await a.session.query('SELECT BINLOG_GTID_POS(?, ?) AS pos', [file, offset]))[0]?.['pos'] ?? '');
  if (!position || !GTID_POSITION.test(position)) throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host}: no GTID position for its snapshot at ${file}:${offset}`);
  return position;
}

async function compareAt(a: MysqlAdmin, b: MysqlAdmin, position: string, mode: CompareMode, timeoutMs: number): Promise<ChecksumReport> {
  const [ca, cb] = await Promise.all([checksums(a, timeoutMs), checksums(b, timeoutMs)]);
  const names = [...new Set([...ca, ...cb].map((c) => c.table))].sort();
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
  /** Default: `snapshot` when the reference logs what it applies, else `stop-both`. */
  mode?: CompareMode;
  /** Called once both copies stand at the position, before the checksums (a test crash point). */
  atPosition?: () => void;
}

/**
 * Compares every table of two replicas of one master, `a` the reference (a current, serving
 * replica) and `b` the new copy, at the same replication position, without blocking the master.
 * By default (`snapshot`, when the reference logs what it applies) the reference never stops:
 * `b` stops, the reference is waited for until it has applied at least as much, a consistent
 * snapshot is opened on it, and `b` is run up to exactly the snapshot's position; a crash leaves
 * only `b` (not serving) stopped, and the snapshot ends with the connection. Otherwise both stop
 * and run up to the master's position. Replication resumes on what was stopped.
 */
export async function compareReplicas(master: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, o: CompareOptions = {}): Promise<ChecksumReport> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const how = o.mode ?? (await referenceMode(a));
  if (how === 'snapshot') {
    try {
      await b.session.query('STOP SLAVE');
      const stoppedAt = await gtidSlavePos(b);
      // the reference has applied at least what the new copy has, so the snapshot is not behind it
      if (stoppedAt) await a.waitForGtid(stoppedAt, timeoutMs);
      const position = await openSnapshot(a);
      await runUntil(b, position, timeoutMs, ` (the reference's snapshot position: a transaction of ${a.endpoint.host}'s own, not from the master?)`);
      o.atPosition?.();
      return await compareAt(a, b, position, how, timeoutMs);
    } finally {
      await a.session.query('COMMIT').catch(() => undefined);
      await b.session.query('START SLAVE').catch(() => undefined);
    }
  }
  try {
    // Stop both first, then read the master: neither can be past that position, so both can be
    // run up to exactly it (read first, and a fast replica may already have gone beyond).
    await Promise.all([a, b].map((x) => x.session.query('STOP SLAVE')));
    const position = String((await master.session.query('SELECT @@gtid_binlog_pos AS pos'))[0]?.['pos'] ?? '');
    await Promise.all([runUntil(a, position, timeoutMs), runUntil(b, position, timeoutMs)]);
    o.atPosition?.();
    return await compareAt(a, b, position, how, timeoutMs);
  } finally {
    await Promise.all([a, b].map((x) => x.session.query('START SLAVE').catch(() => undefined)));
  }
}
