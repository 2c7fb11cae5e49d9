import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { newChangeId, writeAudit, type AuditContext } from './audit-log.js';
import { diffName, planChanges, type PlannedStep } from './change-plan.js';
import { describeChange, validateChangeSet, type ChangeSet, type RecordOp } from './change-set.js';
import { normalizeZone, relativeName } from './dns-names.js';
import { bumpSerial, deleteRecord, insertRecord, readAllNames, readNames, readZone, setRole, updateRecord } from './record-rows.js';
import type { NameState } from './record-types.js';
import { inTransaction } from './sql-transaction.js';

/**
 * The MyDNS record store: reads and compare-and-swap writes of the address records of one zone.
 * Every write is one transaction that locks the zone's soa row and the touched rows, checks the
 * caller's expectations, applies the change, bumps the SOA serial and writes an audit row per
 * operation. A changed row is a ConflictError, never an overwrite.
 */
export interface StoreOptions {
  /** Per-statement deadline (default 5000 ms). */
  timeoutMs?: number;
  /** How long to wait for a concurrent writer's locks (default 5 s). */
  lockWaitSeconds?: number;
  logger?: Logger;
}

export interface WriteOptions extends AuditContext {
  /**
   * Runs inside the transaction, after the zone is locked and before any row changes; a throw
   * rolls everything back. The failover checker uses it to prove it still holds its lease.
   */
  fence?: ((tx: SqlSession) => Promise<void>) | undefined;
}

export interface AppliedChange {
  changeId: string;
  /** The zone's SOA serial after the change. */
  serial: number;
  steps: { change: RecordOp; summary: string; before: NameState; after: NameState }[];
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_LOCK_WAIT_S = 5;

function queryOptions(o: StoreOptions): QueryOptions {
  return { timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS };
}

/** One name's records (name relative to the zone, or absolute). Unknown names have no records. */
export async function listRecords(session: SqlSession, zone: string, name: string, options: StoreOptions = {}): Promise<NameState> {
  const rel = relativeName(name, zone);
  const q = queryOptions(options);
  const z = await readZone(session, zone, q, false);
  const states = await readNames(session, z, [rel], q, false);
  return states.get(rel) ?? { name: rel, role: undefined, records: [] };
}

/** Every name of the zone that has address records. */
export async function listAllRecords(session: SqlSession, zone: string, options: StoreOptions = {}): Promise<NameState[]> {
  const q = queryOptions(options);
  const z = await readZone(session, zone, q, false);
  return readAllNames(session, z, q);
}

/**
 * Applies a whole change set in ONE transaction: all of it or none of it. Names in the set may be
 * relative or absolute; they are normalised first. Throws InvalidRecordError (bad input),
 * UnknownNameError, ConflictError (an expectation did not hold) or RecordInvariantError (the result
 * would break a writer name); in each case nothing was changed.
 */
export async function applyChangeSet(session: SqlSession, zone: string, changes: ChangeSet, write: WriteOptions, options: StoreOptions = {}): Promise<AppliedChange> {
  const origin = normalizeZone(zone);
  const normalised = changes.map((c) => ({ ...c, name: relativeName(c.name, origin) }) as RecordOp);
  validateChangeSet(normalised);
  const q = queryOptions(options);
  const log = (options.logger ?? silentLogger).child({ zone: origin });
  const changeId = newChangeId();
  const names = [...new Set(normalised.map((c) => c.name))].sort();

  const result = await inTransaction(session, { timeoutMs: q.timeoutMs ?? DEFAULT_TIMEOUT_MS, lockWaitSeconds: options.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_S }, async (tx) => {
    const z = await readZone(tx, origin, q, true);
    if (write.fence) await write.fence(tx);
    const current = await readNames(tx, z, names, q, true);
    const plan = planChanges(current, normalised);
    for (const name of names) {
      const before = current.get(name);
      const after = plan.after.get(name);
      if (!before || !after) continue;
      const diff = diffName(before, after);
      for (const d of diff.deletes) await deleteRecord(tx, d.id as number, q);
      for (const u of diff.updates) await updateRecord(tx, u.id, u.to, q);
      for (const r of diff.inserts) r.id = await insertRecord(tx, z.id, name, r, q);
      if (diff.setRole) await setRole(tx, z.id, name, diff.setRole, q);
    }
    const serial = await bumpSerial(tx, z.id, q);
    for (const step of plan.steps) await writeAudit(tx, z.id, changeId, write, step, serial, q);
    return { serial, steps: plan.steps };
  });

  const steps = result.steps.map((s: PlannedStep) => ({ change: s.change, summary: describeChange(s.change), before: s.before, after: s.after }));
  for (const s of steps) {
    log.info({ changeId, serial: result.serial, actor: write.actor, why: write.why, name: s.change.name, op: s.change.op, before: s.before.records, after: s.after.records }, `dns: ${s.summary}`);
  }
  return { changeId, serial: result.serial, steps };
}

/** Points a writer name's single record at `address`, if it still points at `expect`. */
export function replaceWriter(session: SqlSession, zone: string, name: string, expect: string, address: string, write: WriteOptions, options?: StoreOptions): Promise<AppliedChange> {
  return applyChangeSet(session, zone, [{ op: 'replace-writer', name, expect: { address: expect }, address }], write, options);
}

/** Sets the weight of one address under a name, if it is still `expectWeight`. */
export function setWeight(session: SqlSession, zone: string, name: string, address: string, expectWeight: number, weight: number, write: WriteOptions, options?: StoreOptions): Promise<AppliedChange> {
  return applyChangeSet(session, zone, [{ op: 'set-weight', name, address, expect: { weight: expectWeight }, weight }], write, options);
}

/** Adds an address to an existing name (a conflict if it is already there). */
export function addAddress(session: SqlSession, zone: string, name: string, address: string, weight: number, write: WriteOptions, options?: StoreOptions & { ttl?: number }): Promise<AppliedChange> {
  return applyChangeSet(session, zone, [{ op: 'add-address', name, address, weight, ttl: options?.ttl }], write, options);
}

/** Removes an address from a name, if its weight is still `expectWeight`. */
export function removeAddress(session: SqlSession, zone: string, name: string, address: string, expectWeight: number, write: WriteOptions, options?: StoreOptions): Promise<AppliedChange> {
  return applyChangeSet(session, zone, [{ op: 'remove-address', name, address, expect: { weight: expectWeight } }], write, options);
}

/** Sets the TTL of every record of a name, if every record still has `expectTtl`. */
export function setTtl(session: SqlSession, zone: string, name: string, expectTtl: number, ttl: number, write: WriteOptions, options?: StoreOptions): Promise<AppliedChange> {
  return applyChangeSet(session, zone, [{ op: 'set-ttl', name, expect: { ttl: expectTtl }, ttl }], write, options);
}
