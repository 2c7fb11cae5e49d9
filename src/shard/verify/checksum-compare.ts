import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';

export interface TableChecksum {
  table: string;
  checksum: string | null;
}

export interface ChecksumReport {
  /** The master GTID position both replicas were stopped at. */
  position: string;
  tables: { table: string; a: string | null; b: string | null; equal: boolean }[];
  equal: boolean;
}

const SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')";
const IDENT = /^[A-Za-z0-9_$]{1,64}$/;

/** Checksums of every user table (CHECKSUM TABLE ... EXTENDED), in name order. */
async function checksums(a: MysqlAdmin): Promise<TableChecksum[]> {
  const rows = await a.session.query(`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ${SYSTEM} ORDER BY 1, 2`);
  const out: TableChecksum[] = [];
  for (const r of rows) {
    const s = String(r['s']);
    const t = String(r['t']);
    if (!IDENT.test(s) || !IDENT.test(t)) throw new RemoteError('VERIFY_UNSAFE_NAME', `table ${s}.${t} has a name dbfleet will not quote; compare it by hand`);
    const c = (await a.session.query(`CHECKSUM TABLE \`${s}\`.\`${t}\` EXTENDED`, [], { timeoutMs: 600_000 }))[0];
    out.push({ table: `${s}.${t}`, checksum: c?.['Checksum'] === null || c?.['Checksum'] === undefined ? null : String(c['Checksum']) });
  }
  return out;
}

/**
 * Runs a stopped replica up to exactly `position` (MariaDB START SLAVE UNTIL master_gtid_pos) and
 * waits until it has stopped there.
 */
async function runUntil(a: MysqlAdmin, position: string, timeoutMs: number): Promise<void> {
  if (!/^[0-9,-]*$/.test(position)) throw new RemoteError('VERIFY_BAD_POSITION', `not a GTID position: ${position}`);
  await a.session.query(`START SLAVE UNTIL master_gtid_pos = '${position}'`);
  // first reach the position (the SQL thread may not have started yet, so "stopped" alone proves nothing)
  await a.waitForGtid(position, timeoutMs);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await a.replicaStatus();
    if (s && !s.sqlRunning) {
      if (s.lastSqlErrno !== 0) throw new RemoteError('VERIFY_REPLICATION_ERROR', `${a.endpoint.host}: replication stopped with an error: ${s.lastSqlError}`);
      const at = String((await a.session.query('SELECT @@gtid_slave_pos AS pos'))[0]?.['pos'] ?? '');
      const norm = (g: string): string => g.split(',').map((x) => x.trim()).filter(Boolean).sort().join(',');
      if (norm(at) !== norm(position)) throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} stopped at ${at}, not at ${position}; compare again`);
      return;
    }
    if (Date.now() > deadline) throw new RemoteError('VERIFY_TIMEOUT', `${a.endpoint.host} did not reach ${position} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Compares every table of two replicas of one master at the same replication position, without
 * blocking the master: both stop, run up to the master's GTID position read after they stopped,
 * are checksummed there, and resume. Used before a switchover onto a newly seeded replica.
 */
export async function compareReplicas(master: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, timeoutMs = 60_000): Promise<ChecksumReport> {
  try {
    // Stop both first, then read the master: neither can be past that position, so both can be
    // run up to exactly it (read first, and a fast replica may already have gone beyond).
    await Promise.all([a, b].map((x) => x.session.query('STOP SLAVE')));
    const position = String((await master.session.query('SELECT @@gtid_binlog_pos AS pos'))[0]?.['pos'] ?? '');
    await Promise.all([runUntil(a, position, timeoutMs), runUntil(b, position, timeoutMs)]);
    const [ca, cb] = await Promise.all([checksums(a), checksums(b)]);
    const names = [...new Set([...ca, ...cb].map((c) => c.table))].sort();
    const tables = names.map((table) => {
      const x = ca.find((c) => c.table === table)?.checksum ?? null;
      const y = cb.find((c) => c.table === table)?.checksum ?? null;
      return { table, a: x, b: y, equal: x !== null && x === y };
    });
    return { position, tables, equal: tables.every((t) => t.equal) };
  } finally {
    await Promise.all([a, b].map((x) => x.session.query('START SLAVE').catch(() => undefined)));
  }
}
