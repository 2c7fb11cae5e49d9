import { open, readFile } from 'node:fs/promises';
import { StateError } from '../errors.js';

/** One line of a phase journal. Append-only: the history of a run, never rewritten. */
export interface JournalEntry {
  phase: string;
  /** `reset`: an operator asked for a done phase to run again (it counts as not done from there). */
  event: 'start' | 'done' | 'skipped' | 'failed' | 'undone' | 'undo-failed' | 'reset';
  /** Wall-clock ISO time. */
  at: string;
  ms?: number;
  detail?: string;
  /** On `done`: the run's state after this phase (what later phases, and a resume, read). */
  state?: Record<string, unknown>;
}

/** Where a run's journal lives: a JSON-lines file, fsynced after every entry. */
export class FileJournal {
  constructor(readonly path: string) {}

  /** Every complete entry; a torn last line (a crash mid-write) is ignored. */
  async read(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const lines = text.split('\n');
    const out: JournalEntry[] = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(JSON.parse(line) as JournalEntry);
      } catch {
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) {
          throw new StateError('JOURNAL_CORRUPT', `${this.path} line ${i + 1} is not a journal entry`, { next: 'inspect the journal by hand; do not resume from it' });
        }
      }
    });
    return out;
  }

  async append(entry: JournalEntry): Promise<void> {
    const fh = await open(this.path, 'a', 0o600);
    try {
      await fh.write(`${JSON.stringify(entry)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
