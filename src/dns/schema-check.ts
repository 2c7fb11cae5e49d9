import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import { normalizeZone } from './dns-names.js';
import { ALL_TABLES } from './mydns-schema.js';

/**
 * `dbfleet dns init --check`: reads the MyDNS database and warns about what would defeat fast
 * failover. Changes nothing.
 */
export type SchemaWarningCode =
  | 'TABLE_MISSING'
  | 'WEIGHT_MISSING'
  | 'COLUMN_MISSING'
  | 'NOT_INNODB'
  | 'ZONE_MISSING'
  | 'ZONE_INACTIVE'
  | 'SOA_MINIMUM_ABOVE_TTL'
  | 'NEGATIVE_TTL_HIGH'
  | 'INACTIVE_ROWS'
  | 'NAME_ALL_ZERO'
  | 'WRITER_NOT_SINGLE';

export interface SchemaWarning {
  code: SchemaWarningCode;
  message: string;
  next: string;
}

export interface CheckReport {
  zone: string;
  warnings: SchemaWarning[];
}

/** Negative answers (NXDOMAIN, NODATA) are cached for min(soa.ttl, soa.minimum) (RFC 2308). */
export const NEGATIVE_TTL_WARN_S = 60;

export async function checkSchema(session: SqlSession, options: { zone: string; timeoutMs?: number }): Promise<CheckReport> {
  const zone = normalizeZone(options.zone);
  const q: QueryOptions = { timeoutMs: options.timeoutMs ?? 10_000 };
  const warnings: SchemaWarning[] = [];
  const warn = (code: SchemaWarningCode, message: string, next: string): void => {
    warnings.push({ code, message, next });
  };

  const tables = await session.query('SELECT TABLE_NAME AS t, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()', [], q);
  const engines = new Map(tables.map((r) => [String(r['t']).toLowerCase(), String(r['engine'])]));
  const columns = await session.query('SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()', [], q);
  const has = (t: string, c: string): boolean => columns.some((r) => String(r['t']).toLowerCase() === t && String(r['c']).toLowerCase() === c);
  for (const t of ALL_TABLES) {
    if (!engines.has(t.name)) {
      warn('TABLE_MISSING', `table ${t.name} does not exist`, 'run: dbfleet dns init');
      continue;
    }
    for (const c of t.columns.filter((x) => !has(t.name, x.name))) {
      if (t.name === 'rr' && c.name === 'weight') {
        warn('WEIGHT_MISSING', 'rr has no weight column: every record is answered, none can be drained', 'run: dbfleet dns init (adds weight with default 100, so every record stays answered)');
      } else {
        warn('COLUMN_MISSING', `${t.name}.${c.name} is missing`, 'run: dbfleet dns init');
      }
    }
    const engine = engines.get(t.name) ?? '';
    if ((t.name === 'soa' || t.name === 'rr') && engine.toLowerCase() !== 'innodb') {
      warn('NOT_INNODB', `${t.name} uses ${engine}: no transactions, so a writer replacement is not atomic and compare-and-swap cannot lock rows`, 'run: dbfleet dns init (converts to InnoDB, keeping every row)');
    }
  }
  if (!engines.has('soa') || !engines.has('rr')) return { zone, warnings };

  const soaActive = has('soa', 'active') ? 'active' : "'Y'";
  const soaRows = await session.query(`SELECT id, minimum, ttl, ${soaActive} AS active FROM soa WHERE origin IN (?, ?) LIMIT 1`, [zone, zone.slice(0, -1)], q);
  const soa = soaRows[0];
  if (!soa) {
    warn('ZONE_MISSING', `zone ${zone} is not in soa`, `run: dbfleet dns init --zone ${zone}`);
    return { zone, warnings };
  }
  const zoneId = Number(soa['id']);
  const minimum = Number(soa['minimum']);
  const soaTtl = Number(soa['ttl']);
  if (String(soa['active']).toUpperCase() === 'N') warn('ZONE_INACTIVE', `zone ${zone} has soa.active='N': nothing in it is answered`, "set soa.active='Y' if the zone is in use");

  const rrActive = has('rr', 'active') ? 'active' : "'Y'";
  const rrWeight = has('rr', 'weight') ? 'weight' : '100';
  const rows = await session.query(`SELECT name, data, ttl, ${rrActive} AS active, ${rrWeight} AS weight FROM rr WHERE zone = ? AND type IN ('A', 'AAAA') ORDER BY name, data`, [zoneId], q);

  const raised = rows.filter((r) => Number(r['ttl']) < minimum);
  if (raised.length > 0) {
    const names = [...new Set(raised.map((r) => String(r['name'])))];
    warn(
      'SOA_MINIMUM_ABOVE_TTL',
      `soa.minimum is ${minimum} s, above the TTL of ${raised.length} record(s) (${preview(names)}): MyDNS raises their TTL to ${minimum} s, so clients keep a moved address that long`,
      `UPDATE soa SET minimum = ${Math.min(...raised.map((r) => Number(r['ttl'])))} WHERE id = ${zoneId}`,
    );
  }
  const negative = Math.min(minimum, soaTtl);
  if (negative > NEGATIVE_TTL_WARN_S) {
    warn('NEGATIVE_TTL_HIGH', `negative answers are cached for ${negative} s (min of soa.ttl ${soaTtl} and soa.minimum ${minimum}): a name briefly without an answerable record stays unresolvable that long`, `lower soa.ttl or soa.minimum to ${NEGATIVE_TTL_WARN_S} s or less`);
  }
  const inactive = rows.filter((r) => String(r['active']).toUpperCase() === 'N');
  if (inactive.length > 0) {
    warn('INACTIVE_ROWS', `${inactive.length} record(s) have active='N' and are never answered (${preview(inactive.map((r) => `${String(r['name'])} ${String(r['data'])}`))}); weights on them have no effect`, "drain with weight 0 instead of active='N', or delete rows no longer needed");
  }
  const byName = new Map<string, { weight: number; active: boolean }[]>();
  for (const r of rows) byName.set(String(r['name']), [...(byName.get(String(r['name'])) ?? []), { weight: Number(r['weight']), active: String(r['active']).toUpperCase() !== 'N' }]);
  const dead = [...byName].filter(([, rs]) => rs.every((x) => x.weight === 0 || !x.active)).map(([n]) => n);
  if (dead.length > 0) warn('NAME_ALL_ZERO', `name(s) with no answerable record (all weight 0 or inactive): ${preview(dead)}`, 'give one address a weight > 0 (dbfleet dns set-weight NAME ADDRESS 100)');

  if (engines.has('dbfleet_name')) {
    const writers = await session.query("SELECT name FROM dbfleet_name WHERE zone = ? AND role = 'writer'", [zoneId], q);
    for (const w of writers) {
      const rs = byName.get(String(w['name'])) ?? [];
      if (rs.length !== 1) warn('WRITER_NOT_SINGLE', `writer name ${String(w['name'])} has ${rs.length} address records; it must have exactly one`, 'fix it by hand after checking which instance is the writer');
    }
  }
  return { zone, warnings };
}

function preview(items: readonly string[]): string {
  return items.length <= 5 ? items.join(', ') : `${items.slice(0, 5).join(', ')} and ${items.length - 5} more`;
}
