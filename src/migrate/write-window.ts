import type { JournalEntry } from '../core/phases/journal.js';

/** The phases after step 3 up to step 7: while one of them is still to run, writes are frozen (or the new writer not yet named). */
const INSIDE_WINDOW = new Set(['4-thaw-on-new-writer', '5-stop-replication', '6-record-position', '7-writer-record']);

/**
 * Whether a run asked to stop may stop before `next`: not inside the write window, which a stop
 * would leave open (writes frozen on the old writer, the record not yet on the new one) until an
 * operator resumed. There the window is closed first, through step 7, and the run stops after it.
 */
export function stopAllowedBefore(next: string): boolean {
  return !INSIDE_WINDOW.has(next);
}

/**
 * The write-unavailability window of a run, from its journal: from the start of the step that
 * stops writes (3) to the end of the step that points the writer record at the new writer (7).
 * Undefined until both are in the journal. A resumed run reports the whole span, crash included.
 */
export function writeWindowMs(entries: readonly JournalEntry[], startPhase = '3-freeze-writes', endPhase = '7-writer-record'): number | undefined {
  const start = entries.find((e) => e.phase === startPhase && e.event === 'start');
  const end = [...entries].reverse().find((e) => e.phase === endPhase && (e.event === 'done' || e.event === 'skipped'));
  if (!start || !end) return undefined;
  return Date.parse(end.at) - Date.parse(start.at);
}

export interface PhaseOutcome {
  phase: string;
  outcome: JournalEntry['event'];
  ms?: number | undefined;
  detail?: string | undefined;
}

/** The last outcome of each phase, in the order they first appear. */
export function phaseOutcomes(entries: readonly JournalEntry[]): PhaseOutcome[] {
  const out = new Map<string, PhaseOutcome>();
  for (const e of entries) out.set(e.phase, { phase: e.phase, outcome: e.event, ms: e.ms, detail: e.event === 'failed' ? e.detail : undefined });
  return [...out.values()];
}
