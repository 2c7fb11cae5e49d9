/**
 * What one probe of one instance saw, as the prober reports it. Plain data: the decision core
 * never talks to MySQL itself, so every rule can be table-tested.
 */
export type InstanceRole = 'writer' | 'reader';

export interface ProbeObservation {
  instanceId: string;
  address: string;
  /** Wall-clock ms when the probe finished. */
  at: number;
  ok: boolean;
  /**
   * From the engine's role query (@@innodb_read_only on Aurora, @@read_only elsewhere). Present
   * whenever that query answered, even on a probe that failed for another reason (a refused new
   * connection): a writable answer is evidence for split brain whatever else went wrong.
   */
  role?: InstanceRole;
  latencyMs: number;
  error?: string;
  /**
   * Set on the probes that also opened a NEW connection. false = the existing connection works
   * but new ones are refused (the seed's conntrack outage): clients cannot connect, so it counts
   * as a failure even when `ok` is true.
   */
  newConnectionOk?: boolean;
  version?: string;
  /**
   * Aurora only: whom `information_schema.replica_host_status`, read on `reporterId`, names as the
   * writer (its server_id is the instance identifier). A second vantage point on a new writer.
   */
  auroraWriterView?: { reporterId: string; writerServerId: string };
}

/** A probe that clients would also have succeeded with: answered, and new connections work. */
export function probeSucceeded(p: ProbeObservation): boolean {
  return p.ok && p.newConnectionOk !== false;
}

/** Writable on this probe: the role query answered "writer". */
export function seenWritable(p: ProbeObservation | undefined): boolean {
  return p?.role === 'writer';
}

/** Why a probe counts as failed, for reasons and status. */
export function probeFailureText(p: ProbeObservation): string {
  if (p.newConnectionOk === false) return p.error ?? 'existing connection works but new connections are refused';
  return p.error ?? 'probe failed';
}
