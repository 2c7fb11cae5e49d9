import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/core/phases/journal.js';
import { rollbackMode, undoPhases } from '../../src/migrate/rollback-plan.js';
import { writeWindowMs } from '../../src/migrate/write-window.js';

const STEPS = ['0-snapshot', '1-lower-ttl', '2-replica-record', '3-freeze-writes', '4-thaw-on-new-writer', '5-stop-replication', '6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows'];

/** A journal in which every phase up to `last` is done, and `started` (if given) started but did not finish. */
function journal(last: number, started?: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  STEPS.slice(0, last + 1).forEach((phase, i) => {
    out.push({ phase, event: 'start', at: new Date(1_000 * i).toISOString() }, { phase, event: 'done', at: new Date(1_000 * i + 100).toISOString() });
  });
  if (started !== undefined) out.push({ phase: STEPS[started] as string, event: 'start', at: new Date(99_000).toISOString() });
  return out;
}

describe('rollback plan (pure)', () => {
  it('nothing to do before the snapshot was journaled', () => {
    expect(rollbackMode([], false)).toBe('nothing');
    expect(rollbackMode([{ phase: '0-snapshot', event: 'start', at: 'x' }], false)).toBe('nothing');
  });

  it('the reverse switch once the writer record names the target, undo otherwise', () => {
    expect(rollbackMode(journal(9), true)).toBe('reverse');
    expect(rollbackMode(journal(6, 7), false)).toBe('undo');
  });

  it.each([
    [1, undefined, ['undo-1-ttl']],
    [1, 2, ['undo-2-replica-record', 'undo-1-ttl']],
    [2, 3, ['undo-4-refreeze-on-new-writer', 'undo-3-thaw-writes', 'undo-2-replica-record', 'undo-1-ttl']],
    [4, undefined, ['undo-4-refreeze-on-new-writer', 'undo-3-thaw-writes', 'undo-2-replica-record', 'undo-1-ttl']],
    [6, 7, ['undo-5-restart-replication', 'undo-4-refreeze-on-new-writer', 'undo-3-thaw-writes', 'undo-2-replica-record', 'undo-1-ttl']],
  ])('done to step %i (step %s started): %o, newest first', (last, started, want) => {
    expect(undoPhases(journal(last, started))).toEqual(want);
  });

  it('the write window spans the start of step 3 to the end of step 7', () => {
    expect(writeWindowMs(journal(9))).toBe(7_100 - 3_000);
    expect(writeWindowMs(journal(6))).toBeUndefined();
  });
});
