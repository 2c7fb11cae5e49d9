/**
 * A run of three phases whose second one hangs until killed: the parent test SIGKILLs this
 * process mid-phase and resumes the run from the journal. Each phase leaves a marker file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileJournal } from '../../src/core/phases/journal.js';
import { runPhases, type Phase } from '../../src/core/phases/phase-runner.js';

const [journalPath, dir] = process.argv.slice(2) as [string, string];
type S = { position?: string };
const phases: Phase<S>[] = [
  { name: 'one', describe: () => 'write marker one', run: async () => { await writeFile(join(dir, 'one'), 'x'); return { position: 'mysql-bin.000007:4711' }; } },
  { name: 'two', describe: () => 'hang until killed', run: async () => { await writeFile(join(dir, 'two-started'), 'x'); process.stdout.write('in-two\n'); await new Promise(() => {}); } },
  { name: 'three', describe: () => 'write marker three', run: async () => { await writeFile(join(dir, 'three'), 'x'); } },
];
await runPhases(phases, { journal: new FileJournal(journalPath), initialState: {}, resume: true });
