import type { NameState } from '../../dns/record-types.js';
import type { DecidePolicy } from './decide-policy.js';
import type { HealthById } from './health-round.js';
import type { ProbeObservation } from './probe-observation.js';

/** One instance of the current topology (config or discovery). `address` is an IP, as in the records. */
export interface InstanceRef {
  id: string;
  address: string;
}

export interface ClusterTopology {
  name: string;
  writerName: string;
  readerName: string;
  instances: readonly InstanceRef[];
}

/**
 * What the decision core remembers about a cluster between ticks. Returned updated in every
 * decision; the service keeps it (and may persist it, so a standby checker inherits the flip
 * history). Addresses, not ids: the writer record holds addresses.
 */
export interface ClusterMemory {
  lastFlip?: { at: number; from: string; to: string } | undefined;
  hold?: WriterHold | undefined;
}

/** A writer change the core wants but is holding back. Visible in status; expires on its own. */
export interface WriterHold {
  kind: 'flip-rate-limit' | 'unconfirmed-writer';
  /** The address the writer record would move to. */
  to: string;
  /** When this hold (for this target) began. */
  since: number;
  until: number;
  reason: string;
}

export interface ClusterInput {
  cluster: ClusterTopology;
  /** The latest probe of each instance, by instance id; missing = not probed yet. */
  observations: Readonly<Record<string, ProbeObservation | undefined>>;
  /** Missing = a new instance (joining). */
  health: HealthById;
  /** As read from MyDNS, just before deciding. */
  records: { writer: NameState; reader: NameState };
  policy: DecidePolicy;
  memory: ClusterMemory;
  /** Wall-clock ms (the same clock as ProbeObservation.at). */
  now: number;
  /**
   * Addresses an operator drained for maintenance: their reader weight is held at 0 and never
   * restored by the checker. (A plain `dns set-weight ADDR 0` on a healthy reader would be undone
   * on the next tick, because the core converges weights to health.)
   */
  drained?: readonly string[] | undefined;
}

/** The instance whose address this is, if any. */
export function instanceAt(cluster: ClusterTopology, address: string): InstanceRef | undefined {
  return cluster.instances.find((i) => i.address === address);
}
