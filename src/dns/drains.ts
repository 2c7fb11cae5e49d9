import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import type { ChangeSet, RecordOp, SetWeightOp } from './change-set.js';
import { ConflictError, InvalidRecordError, RecordInvariantError, UnknownNameError } from './dns-errors.js';
import { checkWeight, normalizeZone, parseAddress, relativeName } from './dns-names.js';
import { applyChangeSet, listRecords, type StoreOptions } from './record-store.js';
import { readZone, schemaHint } from './record-rows.js';
import type { NameState } from './record-types.js';
import { serverErrno } from './sql-transaction.js';

/**
 * Operator drains: before an instance type change or a restart, an operator holds an address at
 * weight 0 under a name until they undrain it. A drain is a `dbfleet_drain` row written in the
 * same transaction as the weight change, so the row and the weight 0 exist together. The failover
 * checker reads the rows and never restores a drained address; without them it converges every
 * reader weight back to health on its next tick, undoing a plain `dns set-weight ADDR 0`.
 */
export interface Drain {
  /** Relative to the zone. */
  name: string;
  address: string;
  reason: string;
  actor: string;
  /** UTC, ISO 8601. */
  createdAt: string;
}

export interface DrainRequest {
  actor: string;
  /** Why, in words; recorded on the drain row and in the audit. */
  reason?: string | undefined;
}

export interface UndrainRequest extends DrainRequest {
  /** Also set the weight (for a fleet without a running checker); otherwise the weight is left as it is. */
  weight?: number | undefined;
}

export interface DrainResult {
  name: string;
  address: string;
  /** False when there was nothing to do (already drained at weight 0; or not drained at all). */
  changed: boolean;
  /** The zone's SOA serial after the change. */
  serial?: number | undefined;
  before: NameState;
  after: NameState;
  /** The drain row: as it is now (drain), or as it was (undrain); undefined when there is none. */
  drain?: Drain | undefined;
}

export const MAX_REASON = 512;
const DEFAULT_TIMEOUT_MS = 5_000;
const NO_SUCH_TABLE = 1146;
/** A drain that loses a compare-and-swap race (the checker moved the weight) re-reads and tries again. */
const ATTEMPTS = 3;

/** Checks drain/undrain input before any database is touched. Returns the reason to record. */
export function checkDrainInput(zone: string | undefined, name: string, address: string, reason: string | undefined, weight?: number): string {
  if (zone !== undefined) relativeName(name, zone);
  parseAddress(address);
  if (weight !== undefined) checkWeight(weight);
  if (reason === undefined) return '';
  const r = reason.trim();
  if (r === '') throw new InvalidRecordError('--reason is empty', { next: 'say why, e.g. --reason "instance type change"' });
  if (r.length > MAX_REASON) throw new InvalidRecordError(`--reason is ${r.length} characters, more than ${MAX_REASON}`, { next: 'shorten it; link to a ticket for the details' });
  return r;
}

/** The weight-0 operation that drains `address` under a name (0 -> 0 when it already is 0). Pure. */
export function planDrain(state: NameState, address: string): SetWeightOp {
  const rec = findRecord(state, address);
  if (state.role === 'writer') {
    throw new RecordInvariantError(`${state.name} is a writer name: its only record (${rec.address}) cannot be drained, a writer name must keep one answerable record; nothing was changed`, {
      next: `drain the instance in its cluster's reader name instead (dbfleet dns drain READER-NAME ${rec.address}); to take the writer itself out, fail over first`,
    });
  }
  return { op: 'set-weight', name: state.name, address: rec.address, expect: { weight: rec.weight }, weight: 0 };
}

/** The operation that goes with an undrain: the given weight, or the current one kept (audited all the same). Pure. */
export function planUndrain(state: NameState, address: string, weight?: number): SetWeightOp {
  const rec = findRecord(state, address);
  return { op: 'set-weight', name: state.name, address: rec.address, expect: { weight: rec.weight }, weight: weight === undefined ? rec.weight : checkWeight(weight) };
}

function findRecord(state: NameState, address: string): NameState['records'][number] {
  if (state.records.length === 0) throw new UnknownNameError(`${state.name} has no address records in this zone`, { next: 'list the names with: dbfleet dns show' });
  const a = parseAddress(address).address;
  const rec = state.records.find((r) => r.address === a);
  if (!rec) throw new UnknownNameError(`${state.name} has no record for ${a} (it has ${state.records.map((r) => r.address).join(', ')})`, { next: `pick one of the addresses of ${state.name}` });
  return rec;
}

/** Drained addresses by (relative) name. Pure. */
export function drainsByName(drains: readonly Drain[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of drains) out.set(d.name, (out.get(d.name) ?? new Set()).add(d.address));
  return out;
}

/**
 * The operations of a change set that would give a drained address a weight above 0: a writer of
 * change sets (the checker) refuses to commit them, whatever its cached picture said. Pure.
 */
export function raisesDrained(changes: ChangeSet, drained: ReadonlyMap<string, ReadonlySet<string>>, zone: string): RecordOp[] {
  return changes.filter((c) => (c.op === 'set-weight' || c.op === 'add-address') && c.weight > 0 && drained.get(relativeName(c.name, zone))?.has(parseAddress(c.address).address) === true);
}

/** Every drain of the zone. A database whose schema predates drains has none. */
export async function listDrains(session: SqlSession, zone: string, options: StoreOptions = {}): Promise<Drain[]> {
  const z = normalizeZone(zone);
  try {
    const rows = await session.query(
      "SELECT d.name, d.address, d.reason, d.actor, DATE_FORMAT(d.created_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS created FROM dbfleet_drain d JOIN soa s ON s.id = d.zone WHERE s.origin IN (?, ?) ORDER BY d.name, d.address",
      [z, z.slice(0, -1)],
      { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS },
    );
    return rows.map((r) => ({ name: String(r['name']), address: String(r['address']), reason: String(r['reason']), actor: String(r['actor']), createdAt: String(r['created']) }));
  } catch (e) {
    if (serverErrno(e) === NO_SUCH_TABLE) return [];
    throw schemaHint(e);
  }
}

/**
 * Drains `address` under a (non-writer) name: in ONE transaction, records the drain and sets the
 * weight to 0 with compare-and-swap, audited. Already drained at weight 0: changes nothing.
 */
export async function drainAddress(session: SqlSession, zone: string, name: string, address: string, request: DrainRequest, options: StoreOptions = {}): Promise<DrainResult> {
  const origin = normalizeZone(zone);
  const rel = relativeName(name, origin);
  const addr = parseAddress(address).address;
  const reason = checkDrainInput(origin, rel, addr, request.reason) || 'operator drain';
  const q: QueryOptions = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  return retryConflicts(async () => {
    const before = await listRecords(session, origin, rel, options);
    const op = planDrain(before, addr);
    const existing = (await listDrains(session, origin, options)).find((d) => d.name === rel && d.address === addr);
    if (existing && op.expect.weight === 0) return { name: rel, address: addr, changed: false, before, after: before, drain: existing };
    const fence = async (tx: SqlSession): Promise<void> => {
      const z = await readZone(tx, origin, q, false);
      try {
        await tx.execute(
          'INSERT INTO dbfleet_drain (zone, name, address, reason, actor, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE reason = VALUES(reason), actor = VALUES(actor)',
          [z.id, rel, addr, reason, request.actor.slice(0, 128)],
          q,
        );
      } catch (e) {
        throw schemaHint(e);
      }
    };
    const applied = await applyChangeSet(session, origin, [op], { actor: request.actor, why: `drain: ${reason}`, fence }, options);
    const drain = (await listDrains(session, origin, options)).find((d) => d.name === rel && d.address === addr);
    return { name: rel, address: addr, changed: true, serial: applied.serial, before: applied.steps[0]?.before ?? before, after: applied.steps.at(-1)?.after ?? before, drain };
  });
}

/**
 * Ends a drain: deletes the row in ONE audited transaction, and sets the weight when one is given.
 * Without a weight, a running checker restores the address once the instance is healthy. Not
 * drained: changes nothing.
 */
export async function undrainAddress(session: SqlSession, zone: string, name: string, address: string, request: UndrainRequest, options: StoreOptions = {}): Promise<DrainResult> {
  const origin = normalizeZone(zone);
  const rel = relativeName(name, origin);
  const addr = parseAddress(address).address;
  const reason = checkDrainInput(origin, rel, addr, request.reason, request.weight) || 'operator undrain';
  const q: QueryOptions = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  return retryConflicts(async () => {
    const before = await listRecords(session, origin, rel, options);
    const op = planUndrain(before, addr, request.weight);
    const existing = (await listDrains(session, origin, options)).find((d) => d.name === rel && d.address === addr);
    if (!existing) return { name: rel, address: addr, changed: false, before, after: before };
    const fence = async (tx: SqlSession): Promise<void> => {
      const z = await readZone(tx, origin, q, false);
      const res = await tx.execute('DELETE FROM dbfleet_drain WHERE zone = ? AND name = ? AND address = ?', [z.id, rel, addr], q);
      if (res.affectedRows !== 1) throw new ConflictError(`${rel} ${addr} was undrained by someone else meanwhile; nothing was changed`);
    };
    const applied = await applyChangeSet(session, origin, [op], { actor: request.actor, why: `undrain: ${reason}`, fence }, options);
    return { name: rel, address: addr, changed: true, serial: applied.serial, before: applied.steps[0]?.before ?? before, after: applied.steps.at(-1)?.after ?? before, drain: existing };
  });
}

/** Drain and undrain state an absolute intent, so a lost compare-and-swap is re-read and retried. */
async function retryConflicts<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= ATTEMPTS) throw e;
    }
  }
}
