import type { SqlSession } from '../mysql/admin.js';
import type { ChangeSet } from './change-set.js';
import { ConflictError } from './dns-errors.js';
import { parseAddress, relativeName } from './dns-names.js';
import { applyChangeSet, listRecords, type AppliedChange, type StoreOptions, type WriteOptions } from './record-store.js';
import type { NameState } from './record-types.js';

/**
 * The records of one cluster, as in the seed's tables: the writer name has one record (the
 * writer); the reader name has one record per instance, readers at the normal weight and the
 * writer's entry at weight 0 (it takes reads only when no reader answers).
 */
export interface ClusterRecords {
  writerName: string;
  readerName: string;
  writer: string;
  readers: readonly string[];
  /** Seconds; the seed's fast failover wants 1-5. Default 1. */
  ttl?: number;
  /** Weight of a healthy reader (default 100). */
  readerWeight?: number;
}

/** The change set that registers a cluster from nothing. Pure. */
export function planClusterRegistration(c: ClusterRecords): ChangeSet {
  const ttl = c.ttl ?? 1;
  const weight = c.readerWeight ?? 100;
  const writer = parseAddress(c.writer).address;
  const readers = c.readers.map((r) => parseAddress(r).address).filter((r) => r !== writer);
  return [
    { op: 'create-name', name: c.writerName, role: 'writer', ttl, entries: [{ address: writer, weight }] },
    { op: 'create-name', name: c.readerName, role: 'reader', ttl, entries: [...readers.map((address) => ({ address, weight })), { address: writer, weight: 0 }] },
  ];
}

/** True when the records already are exactly what the plan would create. Pure. */
export function matchesRegistration(plan: ChangeSet, current: readonly NameState[]): boolean {
  return plan.every((op) => {
    if (op.op !== 'create-name') return false;
    const s = current.find((x) => x.name === op.name);
    if (!s || s.role !== op.role || s.records.length !== op.entries.length) return false;
    return op.entries.every((e) => s.records.some((r) => r.address === e.address && r.weight === e.weight && r.ttl === op.ttl && r.active));
  });
}

/**
 * Registers a cluster's writer and reader names in one transaction. Idempotent: registering the
 * same cluster again changes nothing (returns undefined). Names that exist with other records
 * are a ConflictError: the caller must decide, dbfleet does not overwrite.
 */
export async function registerCluster(session: SqlSession, zone: string, cluster: ClusterRecords, write: WriteOptions, options: StoreOptions = {}): Promise<AppliedChange | undefined> {
  const c = { ...cluster, writerName: relativeName(cluster.writerName, zone), readerName: relativeName(cluster.readerName, zone) };
  const plan = planClusterRegistration(c);
  const current = [await listRecords(session, zone, c.writerName, options), await listRecords(session, zone, c.readerName, options)];
  if (matchesRegistration(plan, current)) return undefined;
  const existing = current.filter((s) => s.records.length > 0);
  if (existing.length > 0) {
    throw new ConflictError(`cannot register cluster records: ${existing.map((s) => `${s.name} already has ${s.records.map((r) => `${r.address}@${r.weight}`).join(', ')}`).join('; ')}`, {
      retryable: false,
      next: 'remove or fix those records first (dbfleet dns show NAME), or register under other names',
    });
  }
  return applyChangeSet(session, zone, plan, write, options);
}
