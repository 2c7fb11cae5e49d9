import { createTableReader } from '../../dns/table-reader.js';
import { directResolver, queryA } from '../../dns/dns-query.js';
import { WeightedResolver } from '../../dns/weighted-resolver.js';
import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';
import type { NameLookup } from './downtime-meter.js';

/** Applications in the seed's style: read the MyDNS tables and pick by weight. */
export function resolverLookup(
  dns: Endpoint,
  zone: string,
  openSession: (e: Endpoint, t: Timeouts) => Promise<SqlSession>,
): NameLookup & { close: () => Promise<void> } {
  const resolver = new WeightedResolver({
    source: createTableReader({ connect: () => openSession(dns, { connectTimeoutMs: 500, queryTimeoutMs: 500 }), zone, timeoutMs: 500 }),
  });
  return {
    resolve: async (name) => (await resolver.resolve(name)).address,
    forget: (name) => resolver.invalidate(name),
    close: () => resolver.close(),
  };
}

/** Plain DNS: ask PowerDNS (no cache in between) and pick one of the answers at random. */
export function dnsLookup(server: string, zone: string): NameLookup {
  const [host, port] = server.split(':');
  const resolver = directResolver(host ?? '127.0.0.1', Number(port), 500);
  const fqdn = (name: string): string => `${name}.${zone.replace(/\.$/, '')}`;
  return {
    resolve: async (name) => {
      const answers = await queryA(resolver, fqdn(name));
      const pick = answers[Math.floor(Math.random() * answers.length)];
      if (!pick) throw new Error(`${fqdn(name)} has no answer`);
      return pick.address;
    },
    forget: () => undefined,
  };
}
