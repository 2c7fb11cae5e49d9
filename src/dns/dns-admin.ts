import type { SqlSession } from '../mysql/admin.js';
import type { SetTtlOp } from './change-set.js';
import { UnknownNameError, UnknownZoneError } from './dns-errors.js';
import { checkTtl, checkWeight, normalizeZone, parseAddress, relativeName } from './dns-names.js';
import { applyChangeSet, listAllRecords, listRecords, type StoreOptions, type WriteOptions } from './record-store.js';
import type { NameState } from './record-types.js';
import { checkSchema, type CheckReport } from './schema-check.js';
import { initSchema, quoteIdent, type InitReport } from './schema-init.js';

/**
 * The operator's DNS actions (`dbfleet dns ...`) as use cases: each reads the current state, builds
 * a change with that state as its expectation, applies it and returns before/after. Input is
 * validated before anything is read, so bad input changes nothing.
 */
export interface Before<T> {
  before: T;
  after: T;
  changed: boolean;
  serial?: number | undefined;
}

/** The zone to use: the one given, or the only zone in soa. */
export async function pickZone(session: SqlSession, given: string | undefined, options: StoreOptions = {}): Promise<string> {
  if (given !== undefined) return normalizeZone(given);
  const rows = await session.query("SELECT origin FROM soa WHERE active <> 'N' ORDER BY id LIMIT 2", [], { timeoutMs: options.timeoutMs ?? 5_000 }).catch(() => []);
  if (rows.length === 1) return normalizeZone(String(rows[0]?.['origin']));
  throw new UnknownZoneError(rows.length === 0 ? 'no zone given and the soa table has none' : 'no zone given and the soa table has several', {
    next: 'pass --zone ZONE (or use --config, whose dns.zone names it)',
  });
}

export async function dnsInit(session: SqlSession, o: { zone: string; database?: string | undefined; checkOnly: boolean }): Promise<{ init?: InitReport; check: CheckReport }> {
  if (o.checkOnly) {
    if (o.database !== undefined) await session.query(`USE ${quoteIdent(o.database)}`, [], { timeoutMs: 5_000 });
    return { check: await checkSchema(session, { zone: o.zone }) };
  }
  const init = await initSchema(session, { zone: o.zone, database: o.database });
  return { init, check: await checkSchema(session, { zone: o.zone }) };
}

/** One name (UnknownNameError when it has no records) or every name of the zone. */
export async function dnsShow(session: SqlSession, zone: string, name: string | undefined, options: StoreOptions = {}): Promise<NameState[]> {
  if (name === undefined) return listAllRecords(session, zone, options);
  const s = await listRecords(session, zone, name, options);
  if (s.records.length === 0) throw new UnknownNameError(`${s.name} has no address records in zone ${normalizeZone(zone)}`, { next: 'list the names with: dbfleet dns show' });
  return [s];
}

/** Checks set-weight input before any database is touched. */
export function validateSetWeight(zone: string | undefined, name: string, address: string, weight: number): void {
  if (zone !== undefined) relativeName(name, zone);
  parseAddress(address);
  checkWeight(weight);
}

export async function dnsSetWeight(session: SqlSession, zone: string, input: { name: string; address: string; weight: number }, write: WriteOptions, options: StoreOptions = {}): Promise<Before<NameState>> {
  const name = relativeName(input.name, zone);
  const address = parseAddress(input.address).address;
  const weight = checkWeight(input.weight);
  const before = await listRecords(session, zone, name, options);
  if (before.records.length === 0) throw new UnknownNameError(`${name} has no address records in zone ${normalizeZone(zone)}`, { next: 'list the names with: dbfleet dns show' });
  const current = before.records.find((r) => r.address === address);
  if (!current) throw new UnknownNameError(`${name} has no record for ${address} (it has ${before.records.map((r) => r.address).join(', ')})`, { next: `add it first, or pick one of the addresses of ${name}` });
  if (current.weight === weight) return { before, after: before, changed: false };
  const applied = await applyChangeSet(session, zone, [{ op: 'set-weight', name, address, expect: { weight: current.weight }, weight }], write, options);
  return { before: applied.steps[0]?.before ?? before, after: applied.steps.at(-1)?.after ?? before, changed: true, serial: applied.serial };
}

export async function dnsSetTtl(session: SqlSession, zone: string, input: { name: string; ttl: number }, write: WriteOptions, options: StoreOptions = {}): Promise<Before<NameState>> {
  const name = relativeName(input.name, zone);
  const ttl = checkTtl(input.ttl);
  const before = await listRecords(session, zone, name, options);
  if (before.records.length === 0) throw new UnknownNameError(`${name} has no address records in zone ${normalizeZone(zone)}`, { next: 'list the names with: dbfleet dns show' });
  if (before.records.every((r) => r.ttl === ttl)) return { before, after: before, changed: false };
  const op: SetTtlOp = { op: 'set-ttl', name, expect: { perAddress: Object.fromEntries(before.records.map((r) => [r.address, r.ttl])) }, ttl };
  const applied = await applyChangeSet(session, zone, [op], write, options);
  return { before: applied.steps[0]?.before ?? before, after: applied.steps.at(-1)?.after ?? before, changed: true, serial: applied.serial };
}
