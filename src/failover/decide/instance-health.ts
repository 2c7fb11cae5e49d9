import type { DecidePolicy } from './decide-policy.js';
import { probeFailureText, probeSucceeded, type InstanceRole, type ProbeObservation } from './probe-observation.js';

/**
 * Per-instance health with hysteresis.
 *
 * - `joining`: never confirmed yet. Every instance starts here: one the checker has just
 *   discovered (an Aurora auto-scaled reader) and every instance after a checker restart. A
 *   joining instance's reader weight is left as it is (so a restarting checker does not drain a
 *   healthy pool) and a new address is registered at weight 0; it serves only once `up`.
 * - `up`: recover_after consecutive good probes (from joining or down); leaves only after
 *   fail_after consecutive failures.
 * - `down`: fail_after consecutive failures (from up or joining).
 */
export type HealthState = 'joining' | 'up' | 'down';

export interface InstanceHealth {
  state: HealthState;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** The role from the latest probe whose role query answered. */
  lastRole: InstanceRole | undefined;
  lastOkAt: number | undefined;
  lastProbeAt: number | undefined;
  lastError: string | undefined;
  /** When `state` last changed (undefined while still joining since the start). */
  stateSince: number | undefined;
}

export function newInstanceHealth(): InstanceHealth {
  return {
    state: 'joining',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    lastRole: undefined,
    lastOkAt: undefined,
    lastProbeAt: undefined,
    lastError: undefined,
    stateSince: undefined,
  };
}

/**
 * Folds one probe into an instance's health. Pure. A probe older than the last one folded in is
 * ignored (probes of one instance may finish out of order after a timeout).
 */
export function observe(health: InstanceHealth | undefined, probe: ProbeObservation, policy: Pick<DecidePolicy, 'failAfter' | 'recoverAfter'>): InstanceHealth {
  const h = health ?? newInstanceHealth();
  if (h.lastProbeAt !== undefined && probe.at < h.lastProbeAt) return h;
  const lastRole = probe.role ?? h.lastRole;
  if (probeSucceeded(probe)) {
    const successes = h.consecutiveSuccesses + 1;
    const up = h.state === 'up' || successes >= policy.recoverAfter;
    return {
      ...h,
      consecutiveSuccesses: successes,
      consecutiveFailures: 0,
      lastRole,
      lastOkAt: probe.at,
      lastProbeAt: probe.at,
      ...transition(h, up ? 'up' : h.state, probe.at),
    };
  }
  const failures = h.consecutiveFailures + 1;
  const down = h.state === 'down' || failures >= policy.failAfter;
  return {
    ...h,
    consecutiveFailures: failures,
    consecutiveSuccesses: 0,
    lastRole,
    lastProbeAt: probe.at,
    lastError: probeFailureText(probe),
    ...transition(h, down ? 'down' : h.state, probe.at),
  };
}

/**
 * A probe that failed but whose failure is not counted against the instance: every instance of
 * its cluster failed in the same round, which says more about the checker's own network than
 * about the instances. Counting it would drain the whole pool the moment the network returns
 * (the seed's health check that made an outage worse).
 */
export function observeUncounted(health: InstanceHealth | undefined, probe: ProbeObservation): InstanceHealth {
  const h = health ?? newInstanceHealth();
  if (h.lastProbeAt !== undefined && probe.at < h.lastProbeAt) return h;
  return { ...h, lastProbeAt: probe.at, lastError: probeFailureText(probe) };
}

function transition(h: InstanceHealth, next: HealthState, at: number): Pick<InstanceHealth, 'state' | 'stateSince'> {
  return next === h.state ? { state: h.state, stateSince: h.stateSince } : { state: next, stateSince: at };
}
