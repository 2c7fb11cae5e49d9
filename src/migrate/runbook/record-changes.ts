import type { RecordOp } from '../../dns/change-set.js';
import type { DnsSnapshot, RecordSnapshot } from '../runbook.js';
import type { Side } from '../sides.js';

/** The DNS change sets of the runbook (pure): TTL changes, the replica record's new entries. */
export function ttlChanges(dns: DnsSnapshot, from: (r: RecordSnapshot) => number, to: (r: RecordSnapshot) => number): RecordOp[] {
  return [dns.writer, dns.reader]
    .filter((r) => from(r) !== to(r))
    .map((r) => ({ op: 'set-ttl', name: r.name, expect: { ttl: from(r) }, ttl: to(r) }) as RecordOp);
}

/** Adds before removes, so the replica record is never empty in between. */
export function readerChanges(before: RecordSnapshot, after: readonly { address: string; weight: number }[]): RecordOp[] {
  const now = new Map(before.entries.map((e) => [e.address, e.weight]));
  const want = new Map(after.map((e) => [e.address, e.weight]));
  const ops: RecordOp[] = [];
  for (const [address, weight] of want) {
    const current = now.get(address);
    if (current === undefined) ops.push({ op: 'add-address', name: before.name, address, weight });
    else if (current !== weight) ops.push({ op: 'set-weight', name: before.name, address, expect: { weight: current }, weight });
  }
  for (const [address, weight] of now) if (!want.has(address)) ops.push({ op: 'remove-address', name: before.name, address, expect: { weight } });
  return ops;
}

/**
 * The replica record after a cutover: the new side's readers, its writer at weight 0 (the seed's
 * layout). The writer stays out of the pool even before step 7: the write users are back on it
 * from step 4, and a client of the replica record must not write there before step 6's position.
 * A target without readers is refused (preflight, and `run` before it changes anything).
 */
export function readerEntriesFor(side: Side, weight: number): { address: string; weight: number }[] {
  return [{ address: side.writer.host, weight: 0 }, ...side.readers.map((r) => ({ address: r.host, weight }))];
}
