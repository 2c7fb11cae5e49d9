/**
 * The timeline of one failover: when each stage happened and how long each took. The service
 * stamps the stages as it sees them (all from the same wall clock as the probes); this module
 * only defines the shape and the arithmetic, so audit rows, `checker status`, the metrics and
 * the benchmark all agree on what "detect to DNS" means.
 */
export const TIMELINE_STAGES = [
  /** The old writer's first failed probe: the outage as the checker first saw it. */
  'firstFailedProbe',
  /** The new writer's first probe that answered writable. */
  'newWriterSeen',
  /** The decision that produced the replace-writer. */
  'decided',
  /** The change set committed in the MyDNS database. */
  'dnsCommitted',
  /** DNS (PowerDNS or the weighted resolver) first answered the new address. */
  'dnsAnswering',
  /** The first write that succeeded through the writer name, where the probe runs. */
  'firstWriteOk',
] as const;

export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export interface FailoverEvents {
  cluster: string;
  /** Writer record addresses before and after. */
  from: string;
  to: string;
  stamps: Partial<Record<TimelineStage, number>>;
}

/** Records a stage; the first stamp wins (it is the "first" failed probe, the "first" answer). Pure. */
export function stampStage(events: FailoverEvents, stage: TimelineStage, at: number): FailoverEvents {
  if (events.stamps[stage] !== undefined) return events;
  return { ...events, stamps: { ...events.stamps, [stage]: at } };
}

export interface TimelineStep {
  stage: TimelineStage;
  at: number | undefined;
  /** Since the previous stamped stage. */
  sincePreviousMs: number | undefined;
  /** Since the earliest stamped stage. */
  sinceStartMs: number | undefined;
}

export interface FailoverTimeline {
  cluster: string;
  from: string;
  to: string;
  startedAt: number | undefined;
  steps: TimelineStep[];
  durations: {
    /** Old writer's first failure -> new writer seen writable (mostly the instance's restart). */
    outageToNewWriterMs: number | undefined;
    newWriterToDecisionMs: number | undefined;
    decisionToCommitMs: number | undefined;
    commitToAnswerMs: number | undefined;
    /** New writer writable -> DNS answering it: the checker's own contribution (target < 1 s). */
    detectToDnsMs: number | undefined;
    /** Old writer's first failure -> first successful write: the client-visible write downtime. */
    writeDowntimeMs: number | undefined;
  };
  /** Every stage stamped. */
  complete: boolean;
  /** Stages stamped earlier than an earlier stage (clock skew or a stamping bug): durations may be negative. */
  outOfOrder: TimelineStage[];
}

export function buildTimeline(e: FailoverEvents): FailoverTimeline {
  const s = e.stamps;
  const present = TIMELINE_STAGES.map((stage) => s[stage]).filter((t): t is number => t !== undefined);
  const startedAt = present.length > 0 ? Math.min(...present) : undefined;
  let previous: number | undefined;
  const outOfOrder: TimelineStage[] = [];
  const steps = TIMELINE_STAGES.map((stage): TimelineStep => {
    const at = s[stage];
    const step = { stage, at, sincePreviousMs: span(previous, at), sinceStartMs: span(startedAt, at) };
    if (at !== undefined) {
      if (previous !== undefined && at < previous) outOfOrder.push(stage);
      previous = at;
    }
    return step;
  });
  return {
    cluster: e.cluster,
    from: e.from,
    to: e.to,
    startedAt,
    steps,
    durations: {
      outageToNewWriterMs: span(s.firstFailedProbe, s.newWriterSeen),
      newWriterToDecisionMs: span(s.newWriterSeen, s.decided),
      decisionToCommitMs: span(s.decided, s.dnsCommitted),
      commitToAnswerMs: span(s.dnsCommitted, s.dnsAnswering),
      detectToDnsMs: span(s.newWriterSeen, s.dnsAnswering),
      writeDowntimeMs: span(s.firstFailedProbe, s.firstWriteOk),
    },
    complete: present.length === TIMELINE_STAGES.length,
    outOfOrder,
  };
}

function span(from: number | undefined, to: number | undefined): number | undefined {
  return from === undefined || to === undefined ? undefined : to - from;
}
