import type { Row } from './admin.js';
import { MysqlErrorCode, mysqlRemoteError } from './mysql-errors.js';

/**
 * Reading values out of result rows whatever the driver made of them: mysql2 returns BIGINT
 * columns as numbers (or strings past 2^53), SHOW columns as strings, and NULL as null.
 */
export function unexpected(what: string, value: unknown): never {
  throw mysqlRemoteError(MysqlErrorCode.unexpectedResult, `unexpected ${what}: ${JSON.stringify(value) ?? String(value)}`, {
    next: 'report this to the dbfleet maintainers with the server version',
  });
}

/** The first of `names` present in the row (column names differ between flavours and versions). */
export function pick(row: Row, names: readonly string[]): unknown {
  for (const name of names) if (name in row) return row[name];
  return undefined;
}

export function asText(value: unknown): string {
  if (value == null) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

export function asNumberOrNull(value: unknown, what: string): number | null {
  if (value == null || value === '') return null;
  const n = typeof value === 'number' ? value : Number(asText(value));
  if (!Number.isFinite(n)) unexpected(what, value);
  return n;
}

export function asNumber(value: unknown, what: string): number {
  return asNumberOrNull(value, what) ?? 0;
}

/** Boolean server variables come back as 0/1, '0'/'1' or 'OFF'/'ON' depending on flavour and query. */
export function asSwitch(value: unknown, what: string): boolean {
  const text = asText(value).trim().toUpperCase();
  if (text === '1' || text === 'ON' || text === 'YES' || text === 'TRUE') return true;
  if (text === '0' || text === 'OFF' || text === 'NO' || text === 'FALSE') return false;
  return unexpected(what, value);
}

/** GTID sets: MySQL wraps Executed_Gtid_Set across lines; whitespace never matters in them. */
export function asGtidSet(value: unknown): string {
  return asText(value).replace(/\s+/g, '');
}
