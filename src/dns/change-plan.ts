import { parseAddress } from './dns-names.js';
import { ConflictError, RecordInvariantError, UnknownNameError } from './dns-errors.js';
import type { ChangeSet, RecordOp } from './change-set.js';
import { isAnswerable, type AddressRecord, type NameState } from './record-types.js';

/**
 * Applies a change set to an in-memory picture of the names it touches. Pure: the store loads the
 * rows (locked), calls this, and writes the difference. Every compare-and-swap check and every
 * invariant lives here, so they are table-tested without a database.
 */
export interface PlannedStep {
  change: RecordOp;
  before: NameState;
  after: NameState;
}

export interface ChangePlan {
  steps: PlannedStep[];
  /** The final state of every touched name. */
  after: Map<string, NameState>;
}

export function planChanges(current: ReadonlyMap<string, NameState>, changes: ChangeSet): ChangePlan {
  const state = new Map<string, NameState>();
  for (const [k, v] of current) state.set(k, cloneState(v));
  const steps: PlannedStep[] = [];
  for (const change of changes) {
    const before = state.get(change.name) ?? { name: change.name, role: undefined, records: [] };
    const after = applyOne(cloneState(before), change);
    checkInvariants(after, change);
    state.set(change.name, after);
    steps.push({ change, before, after: cloneState(after) });
  }
  return { steps, after: state };
}

function applyOne(s: NameState, c: RecordOp): NameState {
  const conflict = (what: string): never => {
    throw new ConflictError(`${c.op} ${c.name}: ${what}; nothing was changed`, { details: { name: c.name, op: c.op } });
  };
  const requireName = (): void => {
    if (s.records.length === 0) throw new UnknownNameError(`name ${c.name} has no address records in this zone`, { next: 'check the name with: dbfleet dns show' });
  };
  const find = (address: string): AddressRecord | undefined => s.records.find((r) => r.address === address);

  switch (c.op) {
    case 'create-name': {
      if (s.records.length > 0) conflict(`the name already exists with ${s.records.map((r) => r.address).join(', ')}`);
      s.role = c.role;
      s.records = c.entries.map((e) => ({ address: parseAddress(e.address).address, type: parseAddress(e.address).type, weight: e.weight, ttl: c.ttl, active: true }));
      break;
    }
    case 'replace-writer': {
      requireName();
      if (s.role === 'reader') throw new RecordInvariantError(`${c.name} is a reader pool, not a writer name: use set-weight, add-address or remove-address`);
      if (s.records.length !== 1) conflict(`expected one record, found ${s.records.length}`);
      const r = s.records[0] as AddressRecord;
      if (r.address !== c.expect.address) conflict(`expected it to point at ${c.expect.address}, it points at ${r.address}`);
      const next = parseAddress(c.address);
      r.address = next.address;
      r.type = next.type;
      break;
    }
    case 'set-weight': {
      requireName();
      const r = find(c.address);
      if (!r) throw new UnknownNameError(`${c.name} has no record for ${c.address} (it has ${s.records.map((x) => x.address).join(', ')})`);
      if (r.weight !== c.expect.weight) conflict(`expected weight ${c.expect.weight} for ${c.address}, found ${r.weight}`);
      r.weight = c.weight;
      break;
    }
    case 'add-address': {
      requireName();
      if (find(c.address)) conflict(`${c.address} is already there`);
      const a = parseAddress(c.address);
      s.records.push({ address: a.address, type: a.type, weight: c.weight, ttl: c.ttl ?? nameTtl(s), active: true });
      break;
    }
    case 'remove-address': {
      requireName();
      const r = find(c.address);
      if (!r) conflict(`${c.address} is not there any more`);
      if (r?.weight !== c.expect.weight) conflict(`expected weight ${c.expect.weight} for ${c.address}, found ${r?.weight}`);
      s.records = s.records.filter((x) => x.address !== c.address);
      break;
    }
    case 'set-ttl': {
      requireName();
      const expect = c.expect;
      const expected = (r: AddressRecord): number | undefined => ('ttl' in expect ? expect.ttl : expect.perAddress[r.address]);
      const other = s.records.find((r) => r.ttl !== expected(r));
      if (other) conflict(`expected ttl ${expected(other) ?? '(address not expected)'} for ${other.address}, found ${other.ttl}`);
      if (!('ttl' in expect) && Object.keys(expect.perAddress).length !== s.records.length) conflict('the set of addresses changed since it was read');
      for (const r of s.records) r.ttl = c.ttl;
      break;
    }
    case 'set-role': {
      requireName();
      if ((s.role ?? null) !== c.expect.role) conflict(`expected role ${c.expect.role ?? 'none'}, found ${s.role ?? 'none'}`);
      s.role = c.role;
      break;
    }
    default: {
      const never: never = c;
      throw new RecordInvariantError(`unknown operation ${JSON.stringify(never)}`);
    }
  }
  s.records.sort((a, b) => a.address.localeCompare(b.address));
  return s;
}

/** A writer name always has exactly one record, answerable: never zero, never two. */
function checkInvariants(s: NameState, c: RecordOp): void {
  if (s.role !== 'writer') return;
  const only = s.records[0];
  if (s.records.length !== 1 || only === undefined || !isAnswerable(only)) {
    const found = s.records.map((r) => `${r.address}@${r.weight}${r.active ? '' : '(inactive)'}`).join(', ') || 'none';
    throw new RecordInvariantError(`${c.op} ${c.name} would leave writer name ${c.name} without exactly one answerable record (would be: ${found}); nothing was changed`, {
      next: 'move a writer name with replace-writer; it cannot be drained, removed or given a second address',
    });
  }
}

/** The TTL a new record under this name gets: the name's current one (they share it). */
function nameTtl(s: NameState): number {
  return Math.min(...s.records.map((r) => r.ttl));
}

function cloneState(s: NameState): NameState {
  return { name: s.name, role: s.role, records: s.records.map((r) => ({ ...r })) };
}

/** Row-level writes that turn `before` into `after` for one name. */
export interface RowDiff {
  updates: { id: number; from: AddressRecord; to: AddressRecord }[];
  inserts: AddressRecord[];
  deletes: AddressRecord[];
  /** The role to record when the name had none (create-name). */
  setRole: NameState['role'];
}

/**
 * Matches records by row id (a replaced writer keeps its row; only `data` changes) and finds the
 * rows to update, insert and delete.
 */
export function diffName(before: NameState, after: NameState): RowDiff {
  const beforeById = new Map(before.records.filter((r) => r.id !== undefined).map((r) => [r.id as number, r]));
  const updates: RowDiff['updates'] = [];
  const inserts: AddressRecord[] = [];
  const kept = new Set<number>();
  for (const r of after.records) {
    if (r.id === undefined) {
      inserts.push(r);
      continue;
    }
    kept.add(r.id);
    const old = beforeById.get(r.id);
    if (old && (old.address !== r.address || old.weight !== r.weight || old.ttl !== r.ttl || old.type !== r.type)) updates.push({ id: r.id, from: old, to: r });
  }
  const deletes = before.records.filter((r) => r.id !== undefined && !kept.has(r.id));
  return { updates, inserts, deletes, setRole: before.role === after.role ? undefined : after.role };
}
