import type { InstanceRef } from './cluster-input.js';
import type { InstanceHealth } from './instance-health.js';
import { probeFailureText, probeSucceeded, type ProbeObservation } from './probe-observation.js';

/** One line of evidence about an instance for a decision's reasons, e.g. for the log and `checker once`. */
export function describeInstance(i: InstanceRef, p: ProbeObservation | undefined, h: InstanceHealth | undefined): string {
  const who = `${i.id} (${i.address})`;
  const health = h ? `, ${h.state}` : '';
  if (!p) return `${who}: not probed yet${health}`;
  if (probeSucceeded(p)) return `${who}: ${p.role === 'writer' ? 'writable' : 'read-only'} at ${p.at}${health}`;
  const role = p.role ? ` (answered ${p.role === 'writer' ? 'writable' : 'read-only'})` : '';
  return `${who}: failed at ${p.at}: ${probeFailureText(p)}${role}${health}`;
}
