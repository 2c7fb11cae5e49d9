import type { Phase } from '../../core/phases/phase-runner.js';
import type { MigrateState } from '../migrate-state.js';
import { ttlChanges } from '../runbook.js';
import type { StepContext } from './step-context.js';

/** Step 1: lower both records' TTL to the cutover TTL, then wait out the old TTL so every cache holds the new one. */
export function lowerTtlPhase(c: StepContext): Phase<MigrateState> {
  const lower = c.step('1-lower-ttl').dnsChanges.flat();
  const { dns } = c.snapshot;
  const maxOldTtl = Math.max(dns.writer.ttl, dns.reader.ttl);
  return {
    name: '1-lower-ttl',
    describe: () => c.step('1-lower-ttl').title,
    run: async () => {
      await c.dns(lower, 'lower the TTL for the switch');
      // Waited even when a resumed step finds the TTL already lowered: the wait is the point.
      if (lower.length > 0) await c.env.sleep(maxOldTtl * 1000);
    },
    verify: () => c.dnsVerify(lower),
    undo: async () => void (await c.dns(ttlChanges(dns, () => c.env.config.cutover.ttl_s, (r) => r.ttl), 'undo: restore the TTL')),
  };
}
