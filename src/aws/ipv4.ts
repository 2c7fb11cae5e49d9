import { isIPv4 } from 'node:net';
import { UsageError } from '../core/errors.js';

/** Throws UsageError unless `address` is a dotted IPv4 address. */
export function checkIpv4(address: string): string {
  if (!isIPv4(address)) throw new UsageError(`"${address}" is not an IPv4 address`);
  return address;
}

/** Numeric order of dotted IPv4 addresses (so 10.0.0.9 sorts before 10.0.0.10). */
export function compareIpv4(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
