import type { RunbookInput, RunbookStep } from '../runbook.js';
import { describeOp, dnsActions, MYDNS, type RunbookFacts } from './runbook-facts.js';

/** Step 1 as the runbook shows it: lower both TTLs, wait out the old one. */
export function lowerTtlStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const w = i.dns.writer;
  const r = i.dns.reader;
  const lowered = f.lower.length > 0;
  return {
    n: 1,
    phase: '1-lower-ttl',
    title: `Lower the TTL of ${w.name} and ${r.name} to ${i.cutoverTtl} s, then wait out the old TTL`,
    actions: [...dnsActions(lowered ? [f.lower] : []), { on: MYDNS, kind: 'wait', text: `${lowered ? f.maxOldTtl : 0} s, so every cache holds the ${i.cutoverTtl} s TTL` }],
    checksBefore: [`each record still has its TTL (${w.name} ${w.ttl} s, ${r.name} ${r.ttl} s): compare-and-swap`],
    checksAfter: [`both records read back with TTL ${i.cutoverTtl} s`],
    wait: lowered ? `${f.maxOldTtl} s (the old TTL)` : 'none (the TTL already is the cutover TTL)',
    undo: [`set the TTLs back: ${f.restore.map(describeOp).join('; ') || 'nothing to do'}`],
    inWriteWindow: false,
    dnsChanges: lowered ? [f.lower] : [],
  };
}
