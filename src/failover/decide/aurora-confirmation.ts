import type { ProbeObservation } from './probe-observation.js';
import { probeSucceeded } from './probe-observation.js';

export interface WriterConfirmation {
  /** True when no other instance reports (no evidence: nothing to wait for) or one names it. */
  confirmed: boolean;
  /** The other reporters' writer ids when none names the candidate. */
  namedByOthers: string[];
  reporters: string[];
}

/**
 * Aurora's second vantage point on a new writer: `replica_host_status` as read on the OTHER
 * instances (the candidate's own view proves nothing). One agreeing reporter is enough, because
 * speed matters and the candidate already says it is the only writable instance; only when every
 * reporter names someone else is the flip held. Reporters whose latest probe failed are ignored.
 */
export function confirmWriter(candidateId: string, observations: readonly ProbeObservation[]): WriterConfirmation {
  const views = observations.filter((o) => probeSucceeded(o) && o.auroraWriterView !== undefined && o.auroraWriterView.reporterId !== candidateId).map((o) => o.auroraWriterView as NonNullable<ProbeObservation['auroraWriterView']>);
  const reporters = views.map((v) => v.reporterId);
  if (views.length === 0 || views.some((v) => v.writerServerId === candidateId)) return { confirmed: true, namedByOthers: [], reporters };
  return { confirmed: false, namedByOthers: [...new Set(views.map((v) => v.writerServerId))].sort(), reporters };
}
