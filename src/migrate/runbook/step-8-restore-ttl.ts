import type { RunbookInput, RunbookStep } from '../runbook.js';
import { dnsActions, type RunbookFacts } from './runbook-facts.js';

/** Step 8 as the runbook shows it: both TTLs back. */
export function restoreTtlStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const w = i.dns.writer;
  const r = i.dns.reader;
  return {
    n: 8,
    phase: '8-restore-ttl',
    title: `Restore the TTLs of ${w.name} and ${r.name}`,
    actions: dnsActions(f.restore.length ? [f.restore] : []),
    checksBefore: [`both records still have TTL ${i.cutoverTtl} s`],
    checksAfter: [`${w.name} TTL ${w.ttl} s, ${r.name} TTL ${r.ttl} s`],
    wait: 'none',
    undo: ['nothing needed (TTL only)'],
    inWriteWindow: false,
    dnsChanges: f.restore.length ? [f.restore] : [],
  };
}
