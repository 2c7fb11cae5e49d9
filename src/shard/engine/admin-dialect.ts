import type { MysqlAdmin, QueryOptions, Row } from '../../mysql/admin.js';
import type { Dialect } from '../../mysql/dialect.js';
import { dialectFor } from '../../mysql/pick-dialect.js';
import { asGtidSet } from '../../mysql/row-values.js';
import type { Statement } from '../../mysql/statement.js';

/**
 * The consolidator's way to the dialect of a server it holds an admin for: every statement that
 * differs between engines comes from here; raw SQL in src/shard is only what every engine spells
 * alike (information_schema, KILL, CHECKSUM TABLE, START TRANSACTION WITH CONSISTENT SNAPSHOT).
 */
export function dialectOf(a: MysqlAdmin): Dialect {
  return dialectFor(a.version);
}

/** Runs one statement of the dialect on the admin's session (secrets scrubbed from errors). */
export function runStatement(a: MysqlAdmin, s: Statement, options: QueryOptions = {}): Promise<Row[]> {
  return a.session.query(s.sql, s.params, { ...options, secrets: [...(options.secrets ?? []), ...s.secrets], redactedSql: s.redacted });
}

/** Runs statements in order; the rows of the last one. */
export async function runStatements(a: MysqlAdmin, statements: readonly Statement[], options: QueryOptions = {}): Promise<Row[]> {
  let rows: Row[] = [];
  for (const s of statements) rows = await runStatement(a, s, options);
  return rows;
}

/** The `gtid` column of a one-row GTID query of the dialect, whitespace removed. */
export async function gtidValue(a: MysqlAdmin, s: Statement, options?: QueryOptions): Promise<string> {
  return asGtidSet((await runStatement(a, s, options))[0]?.['gtid']);
}

/** This server's GTID position as a source (MySQL @@gtid_executed, MariaDB @@gtid_binlog_pos). */
export function gtidPosition(a: MysqlAdmin, options?: QueryOptions): Promise<string> {
  return gtidValue(a, dialectOf(a).gtidPositionQuery(), options);
}
