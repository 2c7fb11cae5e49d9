import type { Phase } from '../../core/phases/phase-runner.js';
import type { MigrateState } from '../migrate-state.js';
import type { StepContext } from './step-context.js';

/** Phase 0: journal the records' state before the switch (what every undo and the rollback go back to). */
export function snapshotPhase(c: StepContext): Phase<MigrateState> {
  const { dns } = c.snapshot;
  return {
    name: '0-snapshot',
    describe: () => `record the records' state before the switch: ${dns.writer.name} -> ${dns.writer.entries.map((e) => e.address).join(',')} (TTL ${dns.writer.ttl} s), ${dns.reader.name} (TTL ${dns.reader.ttl} s)`,
    run: async () => ({ snapshot: c.snapshot }),
  };
}
