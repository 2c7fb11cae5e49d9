import type { AddressType } from './dns-names.js';

/**
 * What a name means to dbfleet. A writer name must always have exactly one answerable record (the
 * seed's `aurora-test-w`); a reader name is a weighted pool (`aurora-test-r`). Names that exist
 * in a MyDNS database but were never registered by dbfleet have no role and no such invariant.
 */
export type NameRole = 'writer' | 'reader';

/** One address record (an A or AAAA row of `rr`) under a name. */
export interface AddressRecord {
  /** rr.id; absent for a record a change set is about to insert. */
  id?: number | undefined;
  address: string;
  type: AddressType;
  weight: number;
  ttl: number;
  /** False for rows with active='N': MyDNS and dbfleet never answer them. */
  active: boolean;
}

/** Everything about one name, relative to its zone. */
export interface NameState {
  /** Relative to the zone, e.g. `aurora-test-w`. */
  name: string;
  role: NameRole | undefined;
  /** Sorted by address. Empty when the name does not exist. */
  records: AddressRecord[];
}

/** A record answered by DNS: active and weight > 0. */
export function isAnswerable(r: AddressRecord): boolean {
  return r.active && r.weight > 0;
}

/** A plain, comparable view of a record for audit rows and before/after output. */
export function recordView(r: AddressRecord): { address: string; weight: number; ttl: number; active: boolean } {
  return { address: r.address, weight: r.weight, ttl: r.ttl, active: r.active };
}
