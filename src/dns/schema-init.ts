import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import { RemoteError } from '../core/errors.js';
import { InvalidRecordError } from './dns-errors.js';
import { normalizeZone } from './dns-names.js';
import { ALL_TABLES, addColumnSql, createTableSql, RR_TABLE, SOA_TABLE, type TableDef } from './mydns-schema.js';

/**
 * `dbfleet dns init`: creates the MyDNS tables, or upgrades an existing MyDNS database in place.
 * It only ever adds (tables, columns with defaults that keep rows answered as before, an index,
 * the zone's soa row) and converts MyISAM tables to InnoDB (the store needs transactions and row
 * locks; the conversion keeps every row). It never drops or rewrites data. Idempotent: a second
 * run finds nothing to change and says so.
 */
export interface InitOptions {
  zone: string;
  /** Create this database if missing and use it; otherwise the session's current database. */
  database?: string | undefined;
  /** SOA values for a zone that does not exist yet. */
  soa?: Partial<SoaDefaults> | undefined;
  timeoutMs?: number | undefined;
  /** Plan only: report what would change without changing anything. */
  dryRun?: boolean | undefined;
}

export interface SoaDefaults {
  ns: string;
  mbox: string;
  refresh: number;
  retry: number;
  expire: number;
  /** Low, so that MyDNS (which raises record TTLs to soa.minimum) keeps 1 s TTLs at 1 s. */
  minimum: number;
  ttl: number;
}

export interface InitReport {
  database: string;
  zone: string;
  /** One line per change made (or, with dryRun, to be made). Empty when nothing needed changing. */
  changes: string[];
  /** "nothing to change" or a count of changes. */
  summary: string;
}

const IDENT = /^[A-Za-z0-9_]{1,64}$/;

export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new InvalidRecordError(`database name ${JSON.stringify(name)} is not allowed: use letters, digits and "_"`);
  return `\`${name}\``;
}

export function defaultSoa(zone: string): SoaDefaults {
  const z = normalizeZone(zone);
  return { ns: `ns1.${z}`, mbox: `hostmaster.${z}`, refresh: 28800, retry: 7200, expire: 604800, minimum: 1, ttl: 60 };
}

/** YYYYMMDD01, the usual starting serial. */
export function initialSerial(now: Date): number {
  const d = now.toISOString().slice(0, 10).replaceAll('-', '');
  return Number(`${d}01`);
}

export async function initSchema(session: SqlSession, options: InitOptions): Promise<InitReport> {
  const zone = normalizeZone(options.zone);
  const q: QueryOptions = { timeoutMs: options.timeoutMs ?? 10_000 };
  const changes: string[] = [];
  const act = async (description: string, sql: string, params: unknown[] = []): Promise<void> => {
    changes.push(description);
    if (!options.dryRun) await session.query(sql, params, q);
  };

  if (options.database !== undefined) {
    const db = quoteIdent(options.database);
    const exists = await session.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [options.database], q);
    if (exists.length === 0) {
      await act(`create database ${options.database}`, `CREATE DATABASE IF NOT EXISTS ${db} DEFAULT CHARACTER SET utf8mb4`);
      if (options.dryRun) return report(options.database, zone, [...changes, ...ALL_TABLES.map((t) => `create table ${t.name}`), `add zone ${zone} to soa`]);
    }
    await session.query(`USE ${db}`, [], q);
  }
  const current = (await session.query('SELECT DATABASE() AS db', [], q))[0]?.['db'];
  if (typeof current !== 'string' || current === '') {
    throw new InvalidRecordError('no database selected for the MyDNS tables', { next: 'put the database in the DSN: mysql://user@host:port/mydns' });
  }

  for (const table of ALL_TABLES) await ensureTable(session, current, table, q, act);
  await ensureZone(session, zone, { ...defaultSoa(zone), ...options.soa }, q, act, options.dryRun === true);
  return report(current, zone, changes);
}

function report(database: string, zone: string, changes: string[]): InitReport {
  return { database, zone, changes, summary: changes.length === 0 ? 'nothing to change' : `${changes.length} change${changes.length === 1 ? '' : 's'}` };
}

type Act = (description: string, sql: string, params?: unknown[]) => Promise<void>;

async function ensureTable(session: SqlSession, db: string, table: TableDef, q: QueryOptions, act: Act): Promise<void> {
  const info = await session.query('SELECT ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table.name], q);
  if (info.length === 0) {
    await act(`create table ${table.name}`, createTableSql(table).replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'));
    return;
  }
  const cols = await session.query('SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table.name], q);
  const have = new Set(cols.map((c) => String(c['name']).toLowerCase()));
  const ours = table.name.startsWith('dbfleet_');
  const missingCore = table.columns.filter((c) => !have.has(c.name) && !c.addable && !ours);
  if (missingCore.length > 0) {
    throw new RemoteError('DNS_SCHEMA_FOREIGN', `table ${db}.${table.name} exists but lacks MyDNS column(s) ${missingCore.map((c) => c.name).join(', ')}: it is not a MyDNS table`, {
      next: 'point --dsn at the MyDNS database, or at an empty database for a new one; dbfleet does not rewrite foreign tables',
    });
  }
  for (const c of table.columns.filter((x) => !have.has(x.name))) await act(`add column ${table.name}.${c.name}`, addColumnSql(table, c));
  const engine = String(info[0]?.['engine'] ?? '');
  if ((table === SOA_TABLE || table === RR_TABLE) && engine.toLowerCase() !== 'innodb') {
    // MyISAM has no transactions: compare-and-swap and atomic writer replacement need InnoDB.
    await act(`convert table ${table.name} from ${engine} to InnoDB (rows kept)`, `ALTER TABLE ${table.name} ENGINE=InnoDB`);
  }
  for (const [index, columns] of table.indexes) {
    if (!(await hasIndexOn(session, db, table.name, columns.split(','), q))) await act(`add index ${table.name}(${columns})`, `ALTER TABLE ${table.name} ADD INDEX ${index} (${columns})`);
  }
}

/** True when some index of the table starts with exactly these columns. */
async function hasIndexOn(session: SqlSession, db: string, table: string, columns: string[], q: QueryOptions): Promise<boolean> {
  const rows = await session.query('SELECT INDEX_NAME AS idx, SEQ_IN_INDEX AS seq, COLUMN_NAME AS col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX', [db, table], q);
  const byIndex = new Map<string, string[]>();
  for (const r of rows) {
    const k = String(r['idx']);
    byIndex.set(k, [...(byIndex.get(k) ?? []), String(r['col']).toLowerCase()]);
  }
  return [...byIndex.values()].some((cols) => columns.every((c, i) => cols[i] === c));
}

async function ensureZone(session: SqlSession, zone: string, soa: SoaDefaults, q: QueryOptions, act: Act, dryRun: boolean): Promise<void> {
  if (dryRun) {
    // the table may not exist yet in a dry run; only look when it does
    const t = await session.query("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'soa'", [], q);
    if (t.length === 0) {
      await act(`add zone ${zone} to soa`, '');
      return;
    }
  }
  const rows = await session.query('SELECT id FROM soa WHERE origin IN (?, ?)', [zone, zone.slice(0, -1)], q);
  if (rows.length > 0) return;
  await act(
    `add zone ${zone} to soa (minimum ${soa.minimum} s, ttl ${soa.ttl} s)`,
    "INSERT INTO soa (origin, ns, mbox, serial, refresh, retry, expire, minimum, ttl, active, xfer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'Y', '')",
    [zone, soa.ns, soa.mbox, initialSerial(new Date()), soa.refresh, soa.retry, soa.expire, soa.minimum, soa.ttl],
  );
}
