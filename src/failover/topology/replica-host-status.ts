import { RemoteError } from '../../core/errors.js';
import type { Row } from '../../mysql/admin.js';

/** Where Aurora MySQL keeps its own view of the cluster. */
export const REPLICA_HOST_STATUS_TABLE = 'information_schema.replica_host_status';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}\.[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Aurora MySQL's own view of its cluster, readable on any instance: one row per instance,
 * SERVER_ID = the DB instance identifier (@@aurora_server_id), SESSION_ID = 'MASTER_SESSION_ID' on
 * the writer's row. The checker uses it as a second vantage point to confirm a new writer.
 * AGE_US is computed on the server that stamped the row, so the checker's clock skew does not
 * matter. Aurora stores LAST_UPDATE_TIMESTAMP in UTC whatever the session's time_zone, so the age
 * is taken against UTC_TIMESTAMP(6): against NOW(6) every row looked hours old (or in the future)
 * on a server or session whose time_zone is not UTC, and the second vantage point never confirmed.
 * `table` is `db.table` (another table shaped like it, in tests).
 */
export function replicaHostStatusSql(table: string = REPLICA_HOST_STATUS_TABLE): string {
  if (!TABLE_NAME.test(table)) throw new Error(`replica_host_status table must be db.table with plain identifiers, got ${JSON.stringify(table)}`);
  return (
    'SELECT SERVER_ID, SESSION_ID, REPLICA_LAG_IN_MILLISECONDS, LAST_UPDATE_TIMESTAMP, ' +
    'TIMESTAMPDIFF(MICROSECOND, LAST_UPDATE_TIMESTAMP, UTC_TIMESTAMP(6)) AS AGE_US ' +
    `FROM ${table}`
  );
}

export const REPLICA_HOST_STATUS_SQL = replicaHostStatusSql();

export const WRITER_SESSION_ID = 'MASTER_SESSION_ID';

export interface ReplicaHostStatus {
  serverId: string;
  isWriter: boolean;
  sessionId: string;
  /** null when Aurora reports none (or a negative value). */
  lagMs: number | null;
  /** LAST_UPDATE_TIMESTAMP as epoch ms (read as UTC); null when absent. */
  lastUpdate: number | null;
  /** How old the row was on the server when read; null without AGE_US. */
  ageMs: number | null;
}

function upperKeys(row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k.toUpperCase()] = v;
  return out;
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** DATETIME(6) as mysql2 returns it with dateStrings (a string), or a Date; read as UTC. */
function timestamp(v: unknown): number | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.getTime();
  if (typeof v !== 'string') return null;
  const m = DATETIME.exec(v.trim());
  if (!m) return null;
  const ms = Math.floor(Number((m[7] ?? '0').padEnd(6, '0')) / 1000);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
}

/** Parses the rows of REPLICA_HOST_STATUS_SQL (or a SELECT * of the table). Pure. */
export function parseReplicaHostStatus(rows: readonly Row[]): ReplicaHostStatus[] {
  return rows.map((raw, index) => {
    const row = upperKeys(raw);
    const serverId = row.SERVER_ID;
    const sessionId = row.SESSION_ID;
    if (typeof serverId !== 'string' || serverId === '' || typeof sessionId !== 'string') {
      throw new RemoteError('REPLICA_HOST_STATUS_UNPARSABLE', `replica_host_status row ${index} has no SERVER_ID or SESSION_ID: ${JSON.stringify(raw)}`);
    }
    const lag = num(row.REPLICA_LAG_IN_MILLISECONDS);
    const ageUs = num(row.AGE_US);
    return {
      serverId,
      isWriter: sessionId === WRITER_SESSION_ID,
      sessionId,
      lagMs: lag === null || lag < 0 ? null : lag,
      lastUpdate: timestamp(row.LAST_UPDATE_TIMESTAMP),
      ageMs: ageUs === null ? null : Math.max(0, Math.round(ageUs / 1000)),
    };
  });
}

export interface WriterView {
  /** The writer by this vantage point; undefined when no fresh writer row exists. */
  writer: string | undefined;
  /** More than one fresh writer row (an old writer's row lingers during a failover). */
  ambiguous: boolean;
  /** Every fresh writer row, most recently updated first. */
  candidates: string[];
}

/**
 * The writer according to replica_host_status: the fresh rows (age ≤ maxAgeMs) whose session is
 * MASTER_SESSION_ID. `now` (epoch ms) is used only for rows read without AGE_US. Pure.
 */
export function writerFromReplicaHostStatus(statuses: readonly ReplicaHostStatus[], maxAgeMs: number, now?: number): WriterView {
  const age = (s: ReplicaHostStatus): number | null => s.ageMs ?? (now !== undefined && s.lastUpdate !== null ? now - s.lastUpdate : null);
  const fresh = statuses.filter((s) => {
    const a = age(s);
    return s.isWriter && a !== null && a <= maxAgeMs;
  });
  fresh.sort((a, b) => (age(a) ?? 0) - (age(b) ?? 0));
  const candidates = fresh.map((s) => s.serverId);
  return { writer: candidates[0], ambiguous: new Set(candidates).size > 1, candidates };
}
