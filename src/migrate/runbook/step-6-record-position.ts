import type { RunbookInput, RunbookStep } from '../runbook.js';
import { positionRead, type RunbookFacts } from './runbook-facts.js';

/** Step 6 as the runbook shows it: read the new writer's binlog position (step 9 and a rollback start from it). */
export function recordPositionStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const toPos = i.recorded?.toPosition;
  return {
    n: 6,
    phase: '6-record-position',
    title: `Record ${f.to}'s binlog position`,
    actions: [{ on: f.to, kind: 'read', text: `${positionRead(i.dialects.to)}${toPos ? ` -> ${toPos.file}:${toPos.position}` : ''}` }],
    checksBefore: [],
    checksAfter: ['the position is kept in the journal (step 9 and a rollback start from it)'],
    wait: 'none',
    undo: ['nothing (a read)'],
    inWriteWindow: true,
    dnsChanges: [],
  };
}
