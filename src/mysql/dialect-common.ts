import type { BinlogPosition, Role, Row } from './admin.js';
import type { BinlogStatusRow, WaitOutcome } from './dialect.js';
import { checkWaitTimeout } from './sql-literal.js';
import { asGtidSet, asNumber, asNumberOrNull, asSwitch, asText, pick, unexpected } from './row-values.js';

/** Pieces every dialect shares: parsers of role, binlog status and wait results. */

/** The role query returns one row with column `ro`: 0 means writable (writer), 1 read-only (reader). */
export function parseRole(rows: readonly Row[]): Role {
  const row = rows[0];
  if (!row || !('ro' in row)) unexpected('role query result', rows);
  return asSwitch(row['ro'], 'read-only flag') ? 'reader' : 'writer';
}

export function parseBinlogStatus(rows: readonly Row[]): BinlogStatusRow | null {
  const row = rows[0];
  if (!row) return null;
  const gtid = pick(row, ['Executed_Gtid_Set']);
  return {
    file: asText(pick(row, ['File'])),
    position: asNumber(pick(row, ['Position']), 'binlog position'),
    gtidSet: gtid === undefined ? undefined : asGtidSet(gtid),
  };
}

/** The single value of a one-row, one-column result (the wait functions). */
export function scalar(rows: readonly Row[]): unknown {
  const row = rows[0];
  if (!row) unexpected('empty result from a wait function', rows);
  const values = Object.values(row);
  if (values.length !== 1) unexpected('wait function result', row);
  return values[0];
}

/**
 * MASTER_POS_WAIT / SOURCE_POS_WAIT: the number of events waited for (>= 0) when reached, -1 on
 * timeout, NULL when the replica SQL thread is not running or replication is not configured
 * (returned at once: it never waits in that case).
 */
export function interpretPositionWait(rows: readonly Row[]): WaitOutcome {
  const n = asNumberOrNull(scalar(rows), 'position wait result');
  if (n === null) return 'not-replicating';
  if (n === -1) return 'timeout';
  if (n >= 0) return 'reached';
  return unexpected('position wait result', n);
}

/** WAIT_FOR_EXECUTED_GTID_SET (MySQL): 0 when reached, 1 on timeout. */
export function interpretMysqlGtidWait(rows: readonly Row[]): WaitOutcome {
  const n = asNumberOrNull(scalar(rows), 'GTID wait result');
  if (n === 0) return 'reached';
  if (n === 1) return 'timeout';
  return unexpected('WAIT_FOR_EXECUTED_GTID_SET result', n);
}

/** MASTER_GTID_WAIT (MariaDB): 0 when reached, -1 on timeout. */
export function interpretMariadbGtidWait(rows: readonly Row[]): WaitOutcome {
  const n = asNumberOrNull(scalar(rows), 'GTID wait result');
  if (n === 0) return 'reached';
  if (n === -1) return 'timeout';
  return unexpected('MASTER_GTID_WAIT result', n);
}

/**
 * The position-wait functions take whole seconds on some servers, and 0 means "wait forever" to
 * MASTER_POS_WAIT: round up, never below one second.
 */
export function wholeSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(checkWaitTimeout(timeoutMs) / 1000));
}

/** Key = value items of CHANGE MASTER / CHANGE REPLICATION SOURCE, as real and redacted SQL. */
export interface OptionItem {
  key: string;
  sql: string;
  secret?: boolean;
}

export function renderOptions(head: string, items: readonly OptionItem[], mask: string): { sql: string; redacted: string } {
  const sql = `${head} ${items.map((i) => `${i.key} = ${i.sql}`).join(', ')}`;
  const redacted = `${head} ${items.map((i) => `${i.key} = ${i.secret ? `'${mask}'` : i.sql}`).join(', ')}`;
  return { sql, redacted };
}

/**
 * performance_schema.log_status's LOCAL column: {"binary_log_file", "binary_log_position",
 * "gtid_executed"} as JSON (an object from mysql2, or text). Null without a binary log file.
 */
export function parseLogStatus(rows: readonly Row[]): BinlogPosition | null {
  const row = rows[0];
  if (!row) return null;
  const raw = pick(row, ['LOCAL', 'local']);
  let local: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    try {
      local = JSON.parse(asText(raw));
    } catch {
      unexpected('log_status LOCAL column', asText(raw).slice(0, 200));
    }
  }
  if (typeof local !== 'object' || local === null) unexpected('log_status LOCAL column', raw);
  const l = local as Record<string, unknown>;
  const file = asText(l['binary_log_file']);
  if (file === '') return null;
  return { file, position: asNumber(l['binary_log_position'], 'log_status binary_log_position'), gtidSet: asGtidSet(l['gtid_executed']) };
}
