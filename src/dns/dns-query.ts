import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Asking a DNS server (our PowerDNS) directly, without the system resolver or its caches. One
 * attempt per call with its own timeout, so a caller's loop decides how long to keep trying.
 */
export function serverAddress(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

export function directResolver(address: string, port: number, timeoutMs = 500): Resolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([serverAddress(address, port)]);
  return r;
}

/** The IPv4 addresses of a name with their TTLs, sorted by address. */
export async function queryA(resolver: Resolver, name: string): Promise<{ address: string; ttl: number }[]> {
  const answers = await resolver.resolve4(name.replace(/\.$/, ''), { ttl: true });
  return answers.sort((a, b) => a.address.localeCompare(b.address));
}
