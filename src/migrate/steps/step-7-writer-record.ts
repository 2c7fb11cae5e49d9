import { RemoteError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import type { MigrateState } from '../migrate-state.js';
import { threadsStopped } from '../replication-checks.js';
import type { StepContext } from './step-context.js';

/** Step 7: the writer record names the new writer (one compare-and-swap), once it is a stopped-replication writer. */
export function writerRecordPhase(c: StepContext): Phase<MigrateState> {
  const { from, to } = c.rb;
  const ops = c.step('7-writer-record').dnsChanges.flat();
  return {
    name: '7-writer-record',
    describe: () => c.step('7-writer-record').title,
    precheck: async () => {
      const b = await c.conns.get(to);
      if (!threadsStopped(await b.replicaStatus()) || (await b.role()) !== 'writer') {
        throw new RemoteError('MIGRATE_TARGET_NOT_READY', `${c.toName} is not a stopped-replication writer`, { next: 'resume from step 5' });
      }
    },
    run: async () => void (await c.dns(ops, 'writer record to the new writer')),
    verify: () => c.dnsVerify(ops),
    undo: async () => void (await c.dns([{ op: 'replace-writer', name: c.env.config.dns.writer_record, expect: { address: to.writer.host }, address: from.writer.host }], 'undo: writer record back')),
  };
}
