import type { ClusterInput } from './cluster-input.js';
import type { SituationKind } from './cluster-situation.js';
import type { Alert, Decision } from './decision.js';
import { decideCluster } from './decide-cluster.js';

export interface FleetDecision {
  decisions: Decision[];
  /** Only the decisions with a non-empty change set: what the applier has to write. */
  changed: Decision[];
  counts: Partial<Record<SituationKind, number>>;
  /** Fleet-level alerts (per-cluster ones stay in their decision). */
  alerts: Alert[];
}

/**
 * Every cluster of a tick. Clusters are independent (one cluster's trouble never changes
 * another's records); the fleet view adds only what a single cluster cannot see: when most
 * clusters are unreachable at once, the checker itself is cut off.
 */
export function decideFleet(inputs: readonly ClusterInput[]): FleetDecision {
  const decisions = inputs.map(decideCluster);
  const counts: Partial<Record<SituationKind, number>> = {};
  for (const d of decisions) counts[d.situation.kind] = (counts[d.situation.kind] ?? 0) + 1;
  const unreachable = counts.AllUnreachable ?? 0;
  const alerts: Alert[] =
    inputs.length >= 2 && unreachable * 2 > inputs.length
      ? [{ severity: 'critical', code: 'checker-isolated', message: `${unreachable} of ${inputs.length} clusters unreachable: the checker's own network is the likely cause; those clusters are left unchanged` }]
      : [];
  return { decisions, changed: decisions.filter((d) => d.changeSet.length > 0), counts, alerts };
}
