import type { DecidePolicy } from './decide-policy.js';
import { newInstanceHealth, observe, observeUncounted, type InstanceHealth } from './instance-health.js';
import { probeSucceeded, type ProbeObservation } from './probe-observation.js';

/** Health of every instance of one cluster, by instance id. */
export type HealthById = Readonly<Record<string, InstanceHealth>>;

/**
 * Folds one probe round of one cluster (at most one probe per instance) into its health. Pure.
 * When every probe of a round failed, none is counted (see observeUncounted): the decision
 * makes no change to such a cluster anyway, and it must not drain everything once the checker's
 * network comes back. Instances absent from the round keep their health.
 */
export function observeRound(health: HealthById, round: readonly ProbeObservation[], policy: Pick<DecidePolicy, 'failAfter' | 'recoverAfter'>): Record<string, InstanceHealth> {
  const next: Record<string, InstanceHealth> = { ...health };
  const blackout = round.length > 0 && !round.some(probeSucceeded);
  for (const p of round) {
    const h = next[p.instanceId] ?? newInstanceHealth();
    next[p.instanceId] = blackout ? observeUncounted(h, p) : observe(h, p, policy);
  }
  return next;
}
