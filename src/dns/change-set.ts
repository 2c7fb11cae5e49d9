import { checkTtl, checkWeight, parseAddress } from './dns-names.js';
import { InvalidRecordError } from './dns-errors.js';
import type { NameRole } from './record-types.js';

/**
 * A change to the MyDNS records as data. The failover checker, the switchover and the CLI all
 * produce change sets; `--dry-run` prints them, the store applies a whole set in one transaction
 * and the audit table records each operation. Every operation carries what its author expects
 * to find (compare-and-swap): a record that changed since it was read fails the whole set.
 *
 * Operations apply in order, each against the state the previous ones left, so a failover is
 * one set: replace the writer record, then move weights in the reader pool.
 */
export type RecordOp = CreateNameOp | ReplaceWriterOp | SetWeightOp | AddAddressOp | RemoveAddressOp | SetTtlOp | SetRoleOp;

/** Registers a new name (writer or reader pool) with its records; expects the name not to exist. */
export interface CreateNameOp {
  op: 'create-name';
  name: string;
  role: NameRole;
  ttl: number;
  entries: readonly { address: string; weight: number }[];
}

/** Points a writer name's single record at another address; weight and TTL are kept. */
export interface ReplaceWriterOp {
  op: 'replace-writer';
  name: string;
  expect: { address: string };
  address: string;
}

export interface SetWeightOp {
  op: 'set-weight';
  name: string;
  address: string;
  expect: { weight: number };
  weight: number;
}

/** Adds an address to an existing name; expects it not to be there. TTL defaults to the name's. */
export interface AddAddressOp {
  op: 'add-address';
  name: string;
  address: string;
  weight: number;
  ttl?: number | undefined;
}

export interface RemoveAddressOp {
  op: 'remove-address';
  name: string;
  address: string;
  expect: { weight: number };
}

/**
 * Sets the TTL of every record of a name. Expects every record to have `expect.ttl` now, or (for a
 * name whose records disagree, as legacy MyDNS data may) each address its `expect.perAddress` TTL.
 */
export interface SetTtlOp {
  op: 'set-ttl';
  name: string;
  expect: { ttl: number } | { perAddress: Readonly<Record<string, number>> };
  ttl: number;
}

/**
 * Declares what an existing name is (names of a MyDNS database that predates dbfleet have no
 * role). Declaring a writer checks the writer invariant at once.
 */
export interface SetRoleOp {
  op: 'set-role';
  name: string;
  expect: { role: NameRole | null };
  role: NameRole;
}

export type ChangeSet = readonly RecordOp[];

/**
 * Checks the shape and ranges of every operation (not the database state). Throws
 * InvalidRecordError naming the operation and the field. Names must already be relative
 * (use relativeName() at the edge).
 */
export function validateChangeSet(changes: ChangeSet): void {
  if (changes.length === 0) throw new InvalidRecordError('the change set is empty', { next: 'pass at least one operation' });
  changes.forEach((c, i) => {
    const at = `change ${i + 1} (${c.op} ${c.name})`;
    const wrap = (f: () => unknown): void => {
      try {
        f();
      } catch (e) {
        if (e instanceof InvalidRecordError) throw new InvalidRecordError(`${at}: ${e.message}`, { next: e.next });
        throw e;
      }
    };
    if (typeof c.name !== 'string' || !/^[a-z0-9_](?:[a-z0-9_.-]{0,62}[a-z0-9_])?$/.test(c.name)) {
      throw new InvalidRecordError(`${at}: name must be lower case and relative to the zone`);
    }
    switch (c.op) {
      case 'create-name': {
        wrap(() => checkTtl(c.ttl));
        if (c.role !== 'writer' && c.role !== 'reader') throw new InvalidRecordError(`${at}: role must be writer or reader`);
        if (c.entries.length === 0) throw new InvalidRecordError(`${at}: a name needs at least one address`);
        const seen = new Set<string>();
        for (const e of c.entries) {
          wrap(() => parseAddress(e.address));
          wrap(() => checkWeight(e.weight));
          if (seen.has(e.address)) throw new InvalidRecordError(`${at}: address ${e.address} is listed twice`);
          seen.add(e.address);
        }
        if (c.role === 'writer' && (c.entries.length !== 1 || c.entries[0]?.weight === 0)) {
          throw new InvalidRecordError(`${at}: a writer name has exactly one address, with weight > 0`);
        }
        break;
      }
      case 'replace-writer':
        wrap(() => parseAddress(c.expect.address));
        wrap(() => parseAddress(c.address));
        break;
      case 'set-weight':
        wrap(() => parseAddress(c.address));
        wrap(() => checkWeight(c.expect.weight, 'expected weight'));
        wrap(() => checkWeight(c.weight));
        break;
      case 'add-address':
        wrap(() => parseAddress(c.address));
        wrap(() => checkWeight(c.weight));
        if (c.ttl !== undefined) wrap(() => checkTtl(c.ttl as number));
        break;
      case 'remove-address':
        wrap(() => parseAddress(c.address));
        wrap(() => checkWeight(c.expect.weight, 'expected weight'));
        break;
      case 'set-ttl':
        // the expected TTL may be anything the database holds (MyDNS defaults to 86400)
        for (const t of 'ttl' in c.expect ? [c.expect.ttl] : Object.values(c.expect.perAddress)) {
          if (!Number.isInteger(t) || t < 0) throw new InvalidRecordError(`${at}: expected ttl must be a non-negative integer`);
        }
        wrap(() => checkTtl(c.ttl));
        break;
      case 'set-role':
        if (c.role !== 'writer' && c.role !== 'reader') throw new InvalidRecordError(`${at}: role must be writer or reader`);
        break;
      default: {
        const never: never = c;
        throw new InvalidRecordError(`unknown operation ${JSON.stringify(never)}`);
      }
    }
  });
}

/** One line per operation, for --dry-run and logs. */
export function describeChange(c: RecordOp): string {
  switch (c.op) {
    case 'create-name':
      return `create ${c.role} ${c.name} ttl=${c.ttl}: ${c.entries.map((e) => `${e.address}@${e.weight}`).join(', ')}`;
    case 'replace-writer':
      return `replace writer ${c.name}: ${c.expect.address} -> ${c.address}`;
    case 'set-weight':
      return `set weight ${c.name} ${c.address}: ${c.expect.weight} -> ${c.weight}`;
    case 'add-address':
      return `add ${c.name} ${c.address} weight=${c.weight}${c.ttl === undefined ? '' : ` ttl=${c.ttl}`}`;
    case 'remove-address':
      return `remove ${c.name} ${c.address} (weight ${c.expect.weight})`;
    case 'set-ttl':
      return `set ttl ${c.name}: ${'ttl' in c.expect ? c.expect.ttl : [...new Set(Object.values(c.expect.perAddress))].join('/')} -> ${c.ttl}`;
    case 'set-role':
      return `set role ${c.name}: ${c.expect.role ?? 'none'} -> ${c.role}`;
    default: {
      const never: never = c;
      return JSON.stringify(never);
    }
  }
}

export function describeChangeSet(changes: ChangeSet): string[] {
  return changes.map(describeChange);
}
