import type { RunbookInput, RunbookStep } from '../runbook.js';
import { describeInstance } from '../sides.js';
import { dnsActions, type RunbookFacts } from './runbook-facts.js';

/** Step 2 as the runbook shows it: the replica record names the new side's readers. */
export function replicaRecordStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const r = i.dns.reader;
  const entries = (es: readonly { address: string; weight: number }[]) => es.map((e) => `${e.address}/${e.weight}`).join(', ');
  return {
    n: 2,
    phase: '2-replica-record',
    title: `Point the replica record ${r.name} at ${i.direction === 'cutover' ? "the target's readers" : "the source's readers"}`,
    actions: dnsActions(f.readerOps.length ? [f.readerOps] : []),
    checksBefore: [`${r.name} still holds ${entries(r.entries)}`, ...i.to.readers.map((x) => `${describeInstance(x)} answers`)],
    checksAfter: [`${r.name} reads back as ${entries(i.readerEntriesAfter)}`],
    wait: 'none',
    undo: [`${r.name} back to ${entries(r.entries)}`],
    inWriteWindow: false,
    dnsChanges: f.readerOps.length ? [f.readerOps] : [],
  };
}
