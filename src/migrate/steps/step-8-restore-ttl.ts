import type { Phase } from '../../core/phases/phase-runner.js';
import type { MigrateState } from '../migrate-state.js';
import type { StepContext } from './step-context.js';

/** Step 8: both records get their TTL from before the switch back. */
export function restoreTtlPhase(c: StepContext): Phase<MigrateState> {
  const ops = c.step('8-restore-ttl').dnsChanges.flat();
  return {
    name: '8-restore-ttl',
    describe: () => c.step('8-restore-ttl').title,
    run: async () => void (await c.dns(ops, 'restore the TTL')),
    verify: () => c.dnsVerify(ops),
  };
}
