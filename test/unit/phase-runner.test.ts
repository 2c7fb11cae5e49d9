import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJournal } from '../../src/core/phases/journal.js';
import { planPhases, runPhases, type Phase } from '../../src/core/phases/phase-runner.js';

type S = { count: number; position?: string; touched: string[] };
const initial: S = { count: 0, touched: [] };

async function journalIn(): Promise<{ journal: FileJournal; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dbf-phase-'));
  return { journal: new FileJournal(join(dir, 'run.journal')), dir };
}

function phase(name: string, over: Partial<Phase<S>> = {}): Phase<S> {
  return { name, describe: (s) => `${name} (count ${s.count})`, run: async (s) => ({ count: s.count + 1, touched: [...s.touched, name] }), ...over };
}

describe('runPhases', () => {
  it('runs phases in order, passes state along and journals start/done with durations', async () => {
    const { journal } = await journalIn();
    const r = await runPhases([phase('a'), phase('b', { run: async (s) => ({ count: s.count + 1, position: 'bin.000001:120', touched: [...s.touched, 'b'] }) }), phase('c')], { journal, initialState: initial });
    expect(r.state).toEqual({ count: 3, position: 'bin.000001:120', touched: ['a', 'b', 'c'] });
    expect(r.ran).toEqual(['a', 'b', 'c']);
    const entries = await journal.read();
    expect(entries.map((e) => `${e.phase}:${e.event}`)).toEqual(['a:start', 'a:done', 'b:start', 'b:done', 'c:start', 'c:done']);
    expect(entries.filter((e) => e.event === 'done').every((e) => typeof e.ms === 'number')).toBe(true);
  });

  it('refuses to start over an existing journal unless told to resume', async () => {
    const { journal } = await journalIn();
    await runPhases([phase('a')], { journal, initialState: initial });
    await expect(runPhases([phase('a')], { journal, initialState: initial })).rejects.toMatchObject({ code: 'JOURNAL_EXISTS' });
  });

  it('on failure undoes the failed phase, names it, and resumes from it without repeating earlier phases', async () => {
    const { journal } = await journalIn();
    let undone = 0;
    let fail = true;
    const phases = [
      phase('a'),
      phase('b', {
        run: async (s) => {
          if (fail) throw new Error('replica not caught up');
          return { count: s.count + 1, touched: [...s.touched, 'b'] };
        },
        undo: async () => {
          undone += 1;
        },
      }),
      phase('c'),
    ];
    const err = await runPhases(phases, { journal, initialState: initial }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PHASE_FAILED', phase: 'b', undone: true });
    expect(String((err as Error).message)).toMatch(/phase b failed \(undone\): replica not caught up/);
    expect(undone).toBe(1);
    fail = false;
    const r = await runPhases(phases, { journal, initialState: initial, resume: true });
    expect(r.skipped).toEqual(['a']);
    expect(r.ran).toEqual(['b', 'c']);
    expect(r.state.touched).toEqual(['a', 'b', 'c']);
    // re-running a finished run is a no-op
    const again = await runPhases(phases, { journal, initialState: initial, resume: true });
    expect(again.ran).toEqual([]);
    expect(again.skipped).toEqual(['a', 'b', 'c']);
  });

  it('a refusal in the precheck changes nothing and undoes nothing; after a run cut off inside that phase, the undo runs', async () => {
    // the world the phase acts on: its run sets it, its undo writes back what it saw before
    const world = { record: 'old', undoWrites: 0 };
    const refusing = phase('b', {
      precheck: async () => {
        throw new Error('candidate lags 12 s');
      },
      run: async () => void (world.record = 'new'),
      undo: async () => {
        world.undoWrites += 1;
        world.record = 'old';
      },
    });
    const { journal } = await journalIn();
    world.record = 'moved by the checker meanwhile';
    const err = await runPhases([phase('a'), refusing], { journal, initialState: initial }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PHASE_FAILED', phase: 'b', undone: false });
    expect(String((err as Error).message)).toBe('phase b refused (nothing changed): candidate lags 12 s');
    expect(world).toEqual({ record: 'moved by the checker meanwhile', undoWrites: 0 });
    const entries = await journal.read();
    expect(entries.map((e) => `${e.phase}:${e.event}`)).toEqual(['a:start', 'a:done', 'b:start', 'b:failed']);
    expect(entries.at(-1)?.detail).toBe('refused before any change: candidate lags 12 s');

    // a run killed inside b (its start journaled, no end): part of b's effect may be there
    const { journal: cut } = await journalIn();
    await cut.append({ phase: 'b', event: 'start', at: new Date().toISOString() });
    world.record = 'new';
    const again = await runPhases([refusing], { journal: cut, initialState: initial, resume: true }).catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'PHASE_FAILED', phase: 'b', undone: true });
    expect(world).toEqual({ record: 'old', undoWrites: 1 });
  });

  it('a verify that fails is a failed phase (an OK is not proof)', async () => {
    const { journal } = await journalIn();
    const err = await runPhases([phase('a', { verify: async () => { throw new Error('read back shows the old value'); } })], { journal, initialState: initial }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PHASE_FAILED', phase: 'a', undone: false });
    expect((await journal.read()).map((e) => e.event)).toEqual(['start', 'failed']);
  });

  it('reports an undo that fails instead of hiding it', async () => {
    const { journal } = await journalIn();
    const err = await runPhases([phase('a', { run: async () => { throw new Error('boom'); }, undo: async () => { throw new Error('undo boom'); } })], { journal, initialState: initial }).catch((e: unknown) => e);
    expect(err).toMatchObject({ phase: 'a', undone: false });
    expect((await journal.read()).map((e) => `${e.event}:${e.detail ?? ''}`)).toEqual(['start:a (count 0)', 'failed:boom', 'undo-failed:undo boom']);
  });

  it('skips a phase whose effect is already there (a crash after the work, before the journal)', async () => {
    const { journal } = await journalIn();
    let runs = 0;
    const r = await runPhases([phase('a', { isDone: async () => true, run: async () => { runs += 1; } })], { journal, initialState: initial });
    expect(runs).toBe(0);
    expect(r.skipped).toEqual(['a']);
  });

  it('asks the stop check before each phase with its name: a check that declines inside a window lets the run go on to where it may stop', async () => {
    const { journal } = await journalIn();
    const asked: string[] = [];
    // a stop was asked during a; b and c are a window that must be closed first
    const err = await runPhases([phase('a'), phase('b'), phase('c'), phase('d')], { journal, initialState: initial, stopRequested: (next) => (asked.push(next), next === 'd') }).catch((e: unknown) => e);
    expect(asked).toEqual(['a', 'b', 'c', 'd']);
    expect(err).toMatchObject({ code: 'RUN_STOPPED' });
    expect(String((err as Error).message)).toBe('stopped as asked before phase d; 3 phases ran');
    expect((await journal.read()).filter((e) => e.event === 'done').map((e) => e.phase)).toEqual(['a', 'b', 'c']);
  });

  it('plans exactly what a dry run would do, with what is already done', async () => {
    const { journal } = await journalIn();
    const phases = [phase('a'), phase('b')];
    await runPhases([phases[0]!], { journal, initialState: initial });
    expect(await planPhases(phases, journal, initial)).toEqual([
      { phase: 'a', description: 'a (count 1)', status: 'done' },
      { phase: 'b', description: 'b (count 1)', status: 'pending' },
    ]);
  });

  it('ignores a torn last line, refuses corruption in the middle', async () => {
    const { journal } = await journalIn();
    await runPhases([phase('a')], { journal, initialState: initial });
    await appendFile(journal.path, '{"phase":"b","event":"sta');
    expect((await journal.read()).length).toBe(2);
    await writeFile(journal.path, `garbage\n${(await readFile(journal.path, 'utf8')).split('\n')[0]}\n`);
    await expect(journal.read()).rejects.toMatchObject({ code: 'JOURNAL_CORRUPT' });
  });

  it('a run killed (SIGKILL) in the middle of a phase resumes from that phase, keeping earlier state', async () => {
    const { journal, dir } = await journalIn();
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test', 'support', 'phase-crash-child.ts'), journal.path, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('in-two') && resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(dir, 'one'))).toBe(true);
    expect(existsSync(join(dir, 'three'))).toBe(false);
    type C = { position?: string };
    const ran: string[] = [];
    const resumed = await runPhases<C>(
      ['one', 'two', 'three'].map((name) => ({ name, describe: () => name, run: async () => { ran.push(name); } })),
      { journal, initialState: {}, resume: true },
    );
    expect(ran).toEqual(['two', 'three']);
    expect(resumed.state.position).toBe('mysql-bin.000007:4711');
  });
});
