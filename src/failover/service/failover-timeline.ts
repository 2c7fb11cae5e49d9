/**
 * The stages of one failover as the checker saw them, in wall-clock ms. Filled in as the stages
 * happen; shown by `checker status`, exported as metrics and stored with the audit.
 */
export interface FailoverTimeline {
  cluster: string;
  from: string;
  to: string;
  /** First failed (or read-only) probe of the instance the writer record pointed at. */
  firstFailedProbe?: number | undefined;
  /** The new writer's first probe that answered writable. */
  newWriterSeen?: number | undefined;
  decision?: number | undefined;
  dnsCommitted?: number | undefined;
  /** PowerDNS answered the new address (only when the config names a DNS server). */
  dnsAnswering?: number | undefined;
  /** The checker's own write through the new writer succeeded. */
  firstWrite?: number | undefined;
  hooks?: { hook: string; ok: boolean; durationMs: number }[];
}

const STAGES = ['firstFailedProbe', 'newWriterSeen', 'decision', 'dnsCommitted', 'dnsAnswering', 'firstWrite'] as const;
export type TimelineStage = (typeof STAGES)[number];

/** Each stage as ms after the first one known: what an operator reads first. */
export function timelineOffsets(t: FailoverTimeline): Partial<Record<TimelineStage, number>> {
  const origin = STAGES.map((s) => t[s]).find((v) => v !== undefined);
  const out: Partial<Record<TimelineStage, number>> = {};
  if (origin === undefined) return out;
  for (const s of STAGES) {
    const v = t[s];
    if (v !== undefined) out[s] = v - origin;
  }
  return out;
}

export function timelineStages(): readonly TimelineStage[] {
  return STAGES;
}
