import type { Phase } from '../../core/phases/phase-runner.js';
import type { MigrateState } from '../migrate-state.js';
import { readerChanges } from '../runbook.js';
import type { StepContext } from './step-context.js';

/** Step 2: the replica record names the new side's readers (each must answer first). */
export function replicaRecordPhase(c: StepContext): Phase<MigrateState> {
  const ops = c.step('2-replica-record').dnsChanges.flat();
  const { to } = c.rb;
  const cfg = c.env.config;
  return {
    name: '2-replica-record',
    describe: () => c.step('2-replica-record').title,
    precheck: async () => {
      // Reads go to these instances next: each must answer before the record names it.
      for (const r of to.readers) {
        const a = await c.env.connect(to.engine, { host: r.host, port: r.port, user: cfg.admin.user, password: c.env.secrets.admin });
        await a.close();
      }
    },
    run: async () => void (await c.dns(ops, 'replica record to the new readers')),
    verify: () => c.dnsVerify(ops),
    undo: async () => void (await c.dns(readerChanges({ ...c.snapshot.dns.reader, entries: c.snapshot.readerEntriesAfter }, c.snapshot.dns.reader.entries), 'undo: replica record back')),
  };
}
