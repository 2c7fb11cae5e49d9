import type { ClusterInput } from './cluster-input.js';

/**
 * Why the cluster cannot be managed safely, or undefined. The core never registers or repairs
 * names (registerCluster does, and refuses to overwrite): it only moves what is there.
 */
export function unmanageableBecause(input: ClusterInput): string | undefined {
  const { cluster, records } = input;
  if (records.writer.records.length === 0) return `writer name ${cluster.writerName} has no records (register the cluster first)`;
  if (records.writer.records.length !== 1) {
    return `writer name ${cluster.writerName} has ${records.writer.records.length} records (${records.writer.records.map((r) => r.address).join(', ')}); a writer name has exactly one`;
  }
  if (records.reader.records.length === 0) return `reader name ${cluster.readerName} has no records (register the cluster first)`;
  // An empty or garbled topology (a discovery hiccup) would otherwise remove every reader.
  if (cluster.instances.length === 0) return 'the topology lists no instances';
  const seen = new Map<string, string>();
  for (const i of cluster.instances) {
    const other = seen.get(i.address);
    if (other !== undefined) return `instances ${other} and ${i.id} share address ${i.address}`;
    seen.set(i.address, i.id);
  }
  return undefined;
}

/** The writer record's single address; call only once unmanageableBecause() returned undefined. */
export function writerAddress(input: ClusterInput): string {
  const only = input.records.writer.records[0];
  if (!only) throw new Error('writerAddress called on a writer name without records');
  return only.address;
}
