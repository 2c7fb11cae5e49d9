import type { PhasePlanLine } from '../core/phases/phase-runner.js';
import type { Runbook } from './runbook.js';
import { describeInstance } from './sides.js';

/** The runbook as Markdown, for an operator to read before the night of the switch. Secrets are masked upstream. */
export function renderRunbookMarkdown(rb: Runbook, status?: readonly PhasePlanLine[]): string {
  const done = new Map(status?.map((s) => [s.phase, s.status]) ?? []);
  const title = rb.direction === 'cutover' ? 'Cutover' : 'Rollback (reverse switch)';
  const out: string[] = [
    `# ${title}: ${describeInstance(rb.from.writer)} -> ${describeInstance(rb.to.writer)}`,
    '',
    `Writes move from ${rb.from.role} \`${rb.from.writer.id}\` (${rb.from.engine}) to ${rb.to.role} \`${rb.to.writer.id}\` (${rb.to.engine}).`,
    'Writes fail only during steps 3-7, which run back to back.',
    '',
  ];
  for (const s of rb.steps) {
    const mark = done.get(s.phase) === 'done' ? ' (done)' : '';
    out.push(`## ${s.n}. ${s.title}${mark}`, '');
    out.push(`Phase \`${s.phase}\`${s.inWriteWindow ? ' — inside the write-unavailability window' : ''}.`, '');
    out.push('Changes:', '');
    if (s.actions.length === 0) out.push('- nothing to change (already in the wanted state)');
    for (const a of s.actions) out.push(a.kind === 'sql' ? `- on ${a.on}: \`${a.text}\`` : `- ${a.kind === 'dns' ? 'DNS' : a.kind === 'wait' ? 'wait' : 'read'} (${a.on}): ${a.text}`);
    out.push('');
    if (s.checksBefore.length) out.push('Checks before:', '', ...s.checksBefore.map((c) => `- ${c}`), '');
    if (s.checksAfter.length) out.push('Checks after:', '', ...s.checksAfter.map((c) => `- ${c}`), '');
    out.push(`Waits: ${s.wait}.`, '');
    out.push('Undo:', '', ...s.undo.map((u) => `- ${u}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
