import type { Phase } from '../../core/phases/phase-runner.js';
import type { MigrateState } from '../migrate-state.js';
import { toRecorded } from '../replication-checks.js';
import type { StepContext } from './step-context.js';

/** Step 6: journal the new writer's binlog position; step 9 (and a rollback) replicate from it. */
export function recordPositionPhase(c: StepContext): Phase<MigrateState> {
  return {
    name: '6-record-position',
    describe: () => c.step('6-record-position').title,
    run: async () => ({ toPosition: toRecorded(await (await c.conns.get(c.rb.to)).binlogPosition()) }),
  };
}
