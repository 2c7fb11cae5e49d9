import { isIP } from 'node:net';
import { InvalidRecordError } from './dns-errors.js';

/**
 * Names, addresses, weights and TTLs as the record store accepts them. Pure. MyDNS stores names
 * relative to the zone (`aurora-test-w` in zone `db.example.internal.`); operators type either
 * form, so both are accepted and the relative one is what the store works with.
 */

/** One DNS label: letters, digits, "-" and "_" (service labels), no leading "-". */
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Weights are small integers: 0 drains an address, 100 is the seed's normal weight. */
export const MAX_WEIGHT = 65_535;
/** 1 s (the migrator's "lower the TTL") to one week; 0 is refused because some resolvers treat it as "cache forever". */
export const MIN_TTL = 1;
export const MAX_TTL = 604_800;
/** MyDNS rr.name is CHAR(64). */
const MAX_RELATIVE_NAME = 64;

/** `db.example.internal` or `db.example.internal.` -> `db.example.internal.` (lower case). */
export function normalizeZone(zone: string): string {
  const z = zone.trim().toLowerCase();
  const bare = z.endsWith('.') ? z.slice(0, -1) : z;
  const labels = bare.split('.');
  if (bare === '' || bare.length > 253 || !labels.every((l) => LABEL.test(l))) {
    throw new InvalidRecordError(`zone ${JSON.stringify(zone)} is not a DNS zone name`, { next: 'pass a zone such as db.example.internal.' });
  }
  return `${bare}.`;
}

/**
 * The name relative to the zone: `aurora-test-w`, `aurora-test-w.db.example.internal` and
 * `aurora-test-w.db.example.internal.` all give `aurora-test-w`. The zone apex itself is refused:
 * dbfleet manages host names under the zone, not the apex.
 */
export function relativeName(name: string, zone: string): string {
  const z = normalizeZone(zone);
  let n = name.trim().toLowerCase();
  const apex = z.slice(0, -1);
  if (n === z || n === apex) throw new InvalidRecordError(`name ${JSON.stringify(name)} is the zone apex; dbfleet manages host names under it`, { next: 'pass a host name such as aurora-test-w' });
  if (n.endsWith('.')) {
    if (!n.endsWith(`.${z}`)) throw new InvalidRecordError(`name ${JSON.stringify(name)} is not inside zone ${z}`, { next: `pass a name relative to ${z}` });
    n = n.slice(0, -(z.length + 1));
  } else if (n.endsWith(`.${apex}`)) {
    n = n.slice(0, -(apex.length + 1));
  }
  const labels = n.split('.');
  if (n === '' || n.length > MAX_RELATIVE_NAME || !labels.every((l) => LABEL.test(l))) {
    throw new InvalidRecordError(`name ${JSON.stringify(name)} is not a valid host name (letters, digits, "-", "_", dots; at most ${MAX_RELATIVE_NAME} characters relative to the zone)`, {
      next: 'pass a host name such as aurora-test-w',
    });
  }
  return n;
}

/** The absolute name with its trailing dot, e.g. `aurora-test-w.db.example.internal.`. */
export function fqdn(relative: string, zone: string): string {
  return `${relative}.${normalizeZone(zone)}`;
}

export type AddressType = 'A' | 'AAAA';

/** Validates an IPv4 or IPv6 address and returns it with its record type. */
export function parseAddress(address: string): { address: string; type: AddressType } {
  const a = address.trim();
  const v = isIP(a);
  if (v === 0) throw new InvalidRecordError(`${JSON.stringify(address)} is not an IP address`, { next: 'pass an IPv4 or IPv6 address such as 127.0.10.1' });
  return { address: v === 6 ? a.toLowerCase() : a, type: v === 4 ? 'A' : 'AAAA' };
}

export function checkWeight(weight: number, field = 'weight'): number {
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new InvalidRecordError(`${field} ${String(weight)} is invalid: expected an integer from 0 to ${MAX_WEIGHT}`, { next: 'use 0 to drain an address, 100 for normal traffic' });
  }
  return weight;
}

export function checkTtl(ttl: number, field = 'ttl'): number {
  if (!Number.isInteger(ttl) || ttl < MIN_TTL || ttl > MAX_TTL) {
    throw new InvalidRecordError(`${field} ${String(ttl)} is out of range: expected whole seconds from ${MIN_TTL} to ${MAX_TTL}`, { next: 'fast failover wants a low TTL such as 1-5 s' });
  }
  return ttl;
}

/**
 * Parses a decimal integer typed on a command line. `Number("1e2")`, `"0x10"` and `" 5"` are not
 * what an operator means by a weight, so only plain digits (and a leading minus, to name it) pass.
 */
export function parseIntegerArg(text: string, field: string): number {
  if (!/^-?\d{1,10}$/.test(text.trim())) {
    throw new InvalidRecordError(`${field} ${JSON.stringify(text)} is not a whole number`, { next: `pass ${field} as digits, e.g. 100` });
  }
  return Number.parseInt(text, 10);
}
