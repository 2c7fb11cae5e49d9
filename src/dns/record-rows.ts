import type { QueryOptions, Row, SqlSession } from '../mysql/admin.js';
import { RemoteError } from '../core/errors.js';
import { UnknownZoneError } from './dns-errors.js';
import { normalizeZone, type AddressType } from './dns-names.js';
import type { AddressRecord, NameRole, NameState } from './record-types.js';
import { serverErrno } from './sql-transaction.js';

/**
 * Reading and writing `soa`, `rr` and dbfleet's `dbfleet_name` rows. Every statement takes
 * placeholders for values; table and column names are constants of this file.
 */
export interface ZoneRow {
  id: number;
  origin: string;
  serial: number;
}

const NO_SUCH_TABLE = 1146;
const NO_SUCH_COLUMN = 1054;

/** Turns "table/column missing" into an instruction to run `dns init`. */
export function schemaHint(e: unknown): unknown {
  const errno = serverErrno(e);
  if (errno === NO_SUCH_TABLE || errno === NO_SUCH_COLUMN) {
    return new RemoteError('DNS_SCHEMA_MISSING', `the MyDNS database lacks a table or column dbfleet needs: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
      next: 'run: dbfleet dns init (it adds what is missing and changes no data)',
    });
  }
  return e;
}

async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw schemaHint(e);
  }
}

/** The zone's soa row; with `lock`, locked FOR UPDATE (every writer locks it first, so writers queue instead of deadlocking). */
export async function readZone(session: SqlSession, zone: string, q: QueryOptions, lock: boolean): Promise<ZoneRow> {
  const z = normalizeZone(zone);
  const rows = await guarded(() =>
    session.query(`SELECT id, origin, serial FROM soa WHERE origin IN (?, ?) ORDER BY id LIMIT 1${lock ? ' FOR UPDATE' : ''}`, [z, z.slice(0, -1)], q),
  );
  const r = rows[0];
  if (!r) throw new UnknownZoneError(`zone ${z} is not in the soa table`, { next: `run: dbfleet dns init --zone ${z}` });
  return { id: Number(r['id']), origin: String(r['origin']), serial: Number(r['serial']) };
}

function toRecord(r: Row): AddressRecord {
  const type = String(r['type']) as AddressType;
  const data = String(r['data']).trim();
  return {
    id: Number(r['id']),
    address: type === 'AAAA' ? data.toLowerCase() : data,
    type,
    weight: Number(r['weight']),
    ttl: Number(r['ttl']),
    active: String(r['active']).toUpperCase() !== 'N',
  };
}

/**
 * The address records of some names (relative), stored either relative (MyDNS's convention) or
 * absolute with a trailing dot. With `lock`, the rows are locked FOR UPDATE.
 */
export async function readNames(session: SqlSession, zone: ZoneRow, names: readonly string[], q: QueryOptions, lock: boolean): Promise<Map<string, NameState>> {
  const out = new Map<string, NameState>();
  if (names.length === 0) return out;
  const origin = normalizeZone(zone.origin);
  const keys = names.flatMap((n) => [n, `${n}.${origin}`]);
  const marks = keys.map(() => '?').join(', ');
  const suffix = lock ? ' FOR UPDATE' : '';
  const rows = await guarded(() =>
    session.query(`SELECT id, name, type, data, weight, ttl, active FROM rr WHERE zone = ? AND name IN (${marks}) AND type IN ('A', 'AAAA') ORDER BY id${suffix}`, [zone.id, ...keys], q),
  );
  const roles = await guarded(() => session.query(`SELECT name, role FROM dbfleet_name WHERE zone = ? AND name IN (${names.map(() => '?').join(', ')})${suffix}`, [zone.id, ...names], q));
  for (const n of names) out.set(n, { name: n, role: undefined, records: [] });
  for (const r of rows) {
    const stored = String(r['name']).toLowerCase();
    const rel = stored.endsWith(`.${origin}`) ? stored.slice(0, -(origin.length + 1)) : stored;
    out.get(rel)?.records.push(toRecord(r));
  }
  for (const r of roles) {
    const s = out.get(String(r['name']).toLowerCase());
    if (s) s.role = String(r['role']) as NameRole;
  }
  for (const s of out.values()) s.records.sort((a, b) => a.address.localeCompare(b.address));
  return out;
}

/** Every address record of the zone, grouped by name (for `dns show` without a name). */
export async function readAllNames(session: SqlSession, zone: ZoneRow, q: QueryOptions): Promise<NameState[]> {
  const rows = await guarded(() => session.query(`SELECT DISTINCT name FROM rr WHERE zone = ? AND type IN ('A', 'AAAA') ORDER BY name`, [zone.id], q));
  const origin = normalizeZone(zone.origin);
  const names = [
    ...new Set(
      rows.map((r) => {
        const s = String(r['name']).toLowerCase();
        return s.endsWith(`.${origin}`) ? s.slice(0, -(origin.length + 1)) : s;
      }),
    ),
  ].filter((n) => n !== '' && !n.endsWith('.'));
  const states = await readNames(session, zone, names, q, false);
  return [...states.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export async function updateRecord(session: SqlSession, id: number, r: AddressRecord, q: QueryOptions): Promise<void> {
  const res = await session.execute('UPDATE rr SET type = ?, data = ?, weight = ?, ttl = ? WHERE id = ?', [r.type, r.address, r.weight, r.ttl, id], q);
  if (res.affectedRows !== 1) throw new RemoteError('DNS_WRITE_LOST', `UPDATE of rr row ${id} affected ${res.affectedRows} rows`, { next: 'read the records back; the row vanished under a lock, which should not happen' });
}

export async function insertRecord(session: SqlSession, zoneId: number, name: string, r: AddressRecord, q: QueryOptions): Promise<number> {
  const res = await session.execute("INSERT INTO rr (zone, name, type, data, aux, ttl, active, weight) VALUES (?, ?, ?, ?, 0, ?, 'Y', ?)", [zoneId, name, r.type, r.address, r.ttl, r.weight], q);
  return res.insertId;
}

export async function deleteRecord(session: SqlSession, id: number, q: QueryOptions): Promise<void> {
  await session.execute('DELETE FROM rr WHERE id = ?', [id], q);
}

export async function setRole(session: SqlSession, zoneId: number, name: string, role: NameRole, q: QueryOptions): Promise<void> {
  await session.execute('INSERT INTO dbfleet_name (zone, name, role) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE role = VALUES(role)', [zoneId, name, role], q);
}

/** Bumps the zone's SOA serial (wrapping within INT UNSIGNED) and returns the new one. */
export async function bumpSerial(session: SqlSession, zoneId: number, q: QueryOptions): Promise<number> {
  await session.execute('UPDATE soa SET serial = IF(serial >= 4294967295, 1, serial + 1) WHERE id = ?', [zoneId], q);
  const rows = await session.query('SELECT serial FROM soa WHERE id = ?', [zoneId], q);
  return Number(rows[0]?.['serial']);
}
