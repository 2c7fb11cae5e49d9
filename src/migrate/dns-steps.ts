import { RemoteError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RecordOp } from '../dns/change-set.js';
import { applyChangeSet, listRecords, type StoreOptions } from '../dns/record-store.js';
import type { NameState } from '../dns/record-types.js';
import type { SqlSession } from '../mysql/admin.js';
import type { DnsSnapshot, RecordSnapshot } from './runbook.js';

/** The two records a migration moves, as they are now. */
export async function readDnsSnapshot(s: SqlSession, zone: string, writerName: string, readerName: string): Promise<DnsSnapshot> {
  return { writer: snapshotOf(await listRecords(s, zone, writerName)), reader: snapshotOf(await listRecords(s, zone, readerName)) };
}

function snapshotOf(n: NameState): RecordSnapshot {
  if (n.records.length === 0) throw new RemoteError('MIGRATE_RECORD_MISSING', `the record ${n.name} does not exist in MyDNS`, { next: 'check dns.writer_record / dns.reader_record in migrate.yaml' });
  const ttls = new Set(n.records.map((r) => r.ttl));
  if (ttls.size > 1) throw new RemoteError('MIGRATE_RECORD_TTLS', `the records of ${n.name} disagree on their TTL (${[...ttls].join(', ')})`, { next: `set one TTL first: dbfleet dns set-ttl ${n.name} SECONDS` });
  return { name: n.name, ttl: n.records[0]?.ttl ?? 0, entries: n.records.filter((r) => r.active).map((r) => ({ address: r.address, weight: r.weight })) };
}

/** True when the name already shows the operation's effect (a resumed step, or an undo of nothing). */
export function alreadyApplied(op: RecordOp, n: NameState): boolean {
  const at = (a: string) => n.records.find((r) => r.address === a);
  switch (op.op) {
    case 'set-ttl':
      return n.records.length > 0 && n.records.every((r) => r.ttl === op.ttl);
    case 'add-address':
      return at(op.address)?.weight === op.weight;
    case 'remove-address':
      return at(op.address) === undefined;
    case 'set-weight':
      return at(op.address)?.weight === op.weight;
    case 'replace-writer':
      return n.records.length === 1 && at(op.address) !== undefined;
    default:
      return false;
  }
}

/**
 * Applies what is not applied yet of a change set, as one compare-and-swap transaction: a resumed
 * step does not fail on its own earlier half, and a record someone else changed is still a conflict.
 */
export async function applyPending(s: SqlSession, zone: string, ops: readonly RecordOp[], why: string, actor: string, logger: Logger, bounds: Pick<StoreOptions, 'timeoutMs' | 'lockWaitSeconds'> = {}): Promise<number> {
  const names = [...new Set(ops.map((o) => o.name))];
  const states = new Map<string, NameState>();
  for (const name of names) states.set(name, await listRecords(s, zone, name));
  const pending = ops.filter((op) => !alreadyApplied(op, states.get(op.name) as NameState));
  if (pending.length === 0) return 0;
  await applyChangeSet(s, zone, pending, { actor, why }, { ...bounds, logger });
  return pending.length;
}

/** Reads the names back and throws unless every operation shows. */
export async function verifyApplied(s: SqlSession, zone: string, ops: readonly RecordOp[]): Promise<void> {
  for (const op of ops) {
    const n = await listRecords(s, zone, op.name);
    if (!alreadyApplied(op, n)) {
      throw new RemoteError('MIGRATE_DNS_VERIFY', `${op.name} does not show the change (${op.op}) after it was committed`, { next: `dbfleet dns show ${op.name}; another writer (a checker?) may be changing it` });
    }
  }
}
