import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import type { ClusterTopology, PendingInstance, TopologyInstance } from './cluster-topology.js';

/** Resolves a host name to one IPv4 address. */
export type ResolveAddress = (hostname: string, signal?: AbortSignal) => Promise<string>;

/**
 * DNS (A records) through the system's configured servers (in a VPC, the Amazon-provided
 * resolver) or the given ones ("IP:port"), with its own timeout; a cancelled call cancels its
 * query.
 */
export function dnsResolver(options: { timeoutMs?: number; servers?: string[] } = {}): ResolveAddress {
  return async (hostname, signal) => {
    const resolver = new Resolver({ timeout: options.timeoutMs ?? 2_000, tries: 2 });
    if (options.servers) resolver.setServers(options.servers);
    const cancel = (): void => resolver.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const [first] = await resolver.resolve4(hostname);
      if (first === undefined) throw new Error(`${hostname} has no A record`);
      return first;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  };
}

export interface Unresolved {
  id: string;
  endpoint: string;
  error: string;
  /** True when the previous address was kept. */
  keptPrevious: boolean;
}

/**
 * Replaces each instance endpoint name with its IPv4 address: MyDNS records and the checker's
 * decisions work on addresses. Runs at refresh time only, never on the failover path. An
 * instance that does not resolve keeps its previous address if it had one (a DNS hiccup must not
 * drop a known instance); a new one waits as pending.
 */
export async function resolveTopologyAddresses(
  topology: ClusterTopology,
  previous: ClusterTopology | undefined,
  resolve: ResolveAddress,
  signal?: AbortSignal,
): Promise<{ topology: ClusterTopology; unresolved: Unresolved[] }> {
  const before = new Map((previous?.instances ?? []).map((i) => [i.id, i]));
  const unresolved: Unresolved[] = [];
  const pending: PendingInstance[] = [...(topology.pending ?? [])];
  const resolved = await Promise.all(
    topology.instances.map(async (i): Promise<TopologyInstance | undefined> => {
      if (isIP(i.host) !== 0) return i;
      try {
        return { ...i, host: await resolve(i.host, signal), endpoint: i.host };
      } catch (e) {
        const old = before.get(i.id);
        const keep = old !== undefined && old.endpoint === i.host;
        unresolved.push({ id: i.id, endpoint: i.host, error: errorMessage(e), keptPrevious: keep });
        if (keep) return old;
        pending.push({ id: i.id, status: 'unresolved' });
        return undefined;
      }
    }),
  );
  const instances = resolved.filter((i): i is TopologyInstance => i !== undefined);
  const { pending: _dropped, ...rest } = topology;
  return { topology: { ...rest, instances, ...(pending.length > 0 ? { pending } : {}) }, unresolved };
}
