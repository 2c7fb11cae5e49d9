import { UsageError } from '../core/errors.js';

/** The MyDNS database's instance id: it runs MariaDB whatever engine the clusters run. */
export const DNS_DB_ID = 'mydns';

/** The shape of a sandbox, decided before anything starts. Pure. */
export interface PlannedInstance {
  id: string;
  host: string;
  port: number;
  serverId: number;
  role: 'writer' | 'reader';
}

export interface PlannedCluster {
  name: string;
  writer_record: string;
  reader_record: string;
  instances: PlannedInstance[];
}

export interface SandboxLayout {
  /** Second octet of every address in this sandbox: 127.<slot>.x.y belongs to it alone. */
  slot: number;
  clusters: PlannedCluster[];
  dnsDb: { id: string; host: string; port: number; serverId: number };
  zone: string;
}

export const MAX_CLUSTERS = 250;
export const MAX_READERS = 15;
export const SANDBOX_ZONE = 'sandbox.dbfleet.internal.';

export function clusterName(index: number): string {
  return `aurora-test-${index}`;
}

export function instanceId(cluster: string, index: number): string {
  return `${cluster}-instance-${String(index).padStart(2, '0')}`;
}

/**
 * Cluster c (1-based) instance i (1-based) lives on 127.<slot>.<c>.<i>:3306 — one address per
 * mysqld, as on a consolidated host with one secondary IP per process. The MyDNS database is
 * 127.<slot>.0.53.
 */
export function planLayout(slot: number, clusters: number, readers: number): SandboxLayout {
  if (!Number.isInteger(clusters) || clusters < 1 || clusters > MAX_CLUSTERS) {
    throw new UsageError(`--clusters must be an integer from 1 to ${MAX_CLUSTERS}, got ${clusters}`);
  }
  if (!Number.isInteger(readers) || readers < 0 || readers > MAX_READERS) {
    throw new UsageError(`--readers must be an integer from 0 to ${MAX_READERS}, got ${readers}`);
  }
  if (!Number.isInteger(slot) || slot < 1 || slot > 254) throw new UsageError(`sandbox slot must be 1-254, got ${slot}`);
  const planned: PlannedCluster[] = [];
  for (let c = 1; c <= clusters; c++) {
    const name = clusterName(c);
    const instances: PlannedInstance[] = [];
    for (let i = 1; i <= readers + 1; i++) {
      instances.push({
        id: instanceId(name, i),
        host: `127.${slot}.${c}.${i}`,
        port: 3306,
        // unique across the sandbox, so any instance can replicate from any other
        serverId: c * 100 + i,
        role: i === 1 ? 'writer' : 'reader',
      });
    }
    planned.push({ name, writer_record: `${name}-w`, reader_record: `${name}-r`, instances });
  }
  return { slot, clusters: planned, dnsDb: { id: DNS_DB_ID, host: `127.${slot}.0.53`, port: 3306, serverId: 53 }, zone: SANDBOX_ZONE };
}
