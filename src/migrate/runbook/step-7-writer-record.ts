import type { RunbookInput, RunbookStep } from '../runbook.js';
import { dnsActions, type RunbookFacts } from './runbook-facts.js';

/** Step 7 as the runbook shows it: the writer record names the new writer. */
export function writerRecordStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const w = i.dns.writer;
  return {
    n: 7,
    phase: '7-writer-record',
    title: `Point the writer record ${w.name} at ${f.to}`,
    actions: dnsActions([[f.writerOp]]),
    checksBefore: [`${w.name} still names ${i.from.writer.host}`, `${f.to} replication stopped and it is writable`],
    checksAfter: [`${w.name} reads back as ${i.to.writer.host}`],
    wait: 'none',
    undo: [`${w.name}: ${i.to.writer.host} -> ${i.from.writer.host}`],
    inWriteWindow: true,
    dnsChanges: [[f.writerOp]],
  };
}
