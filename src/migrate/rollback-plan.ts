import type { JournalEntry } from '../core/phases/journal.js';

/**
 * How to roll back, decided from the cutover's journal and where the writer record points (pure).
 * - `nothing`: the cutover never started (no snapshot in its journal).
 * - `undo`: writes never reached the new writer (step 7 not effective): undo every step that
 *   started, newest first, each checking the world before acting.
 * - `reverse`: the writer record names the target: finish steps 8-9 of the cutover (so the old
 *   writer has every write), then run the same runbook with the roles swapped.
 */
export type RollbackMode = 'nothing' | 'undo' | 'reverse';

export type UndoPhase = 'undo-5-restart-replication' | 'undo-4-refreeze-on-new-writer' | 'undo-3-thaw-writes' | 'undo-2-replica-record' | 'undo-1-ttl';

export function rollbackMode(entries: readonly JournalEntry[], writerRecordNamesTarget: boolean): RollbackMode {
  if (!entries.some((e) => e.phase === '0-snapshot' && e.event === 'done')) return 'nothing';
  return writerRecordNamesTarget ? 'reverse' : 'undo';
}

/** The undo phases, newest first, for every cutover step the journal shows as started. */
export function undoPhases(entries: readonly JournalEntry[]): UndoPhase[] {
  const started = new Set(entries.map((e) => e.phase));
  const out: UndoPhase[] = [];
  if (started.has('5-stop-replication')) out.push('undo-5-restart-replication');
  // Also when step 4 never started: a rename that replicated must be matched before the thaw replicates.
  if (started.has('3-freeze-writes')) out.push('undo-4-refreeze-on-new-writer', 'undo-3-thaw-writes');
  if (started.has('2-replica-record')) out.push('undo-2-replica-record');
  if (started.has('1-lower-ttl')) out.push('undo-1-ttl');
  return out;
}
