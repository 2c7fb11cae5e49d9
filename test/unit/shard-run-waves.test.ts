/**
 * The wave runner of `shard apply --parallel`, driving the real phase runner and a real journal
 * file: each "move" is a list of phases that take a little time and record when they ran.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/core/phases/journal.js';
import { journalProgress, PhaseFailedError, RunStoppedError, runPhases, type Phase } from '../../src/core/phases/phase-runner.js';
import { busiestHost, runInWaves, wavesOf } from '../../src/shard/apply/run-waves.js';
import { checkParallel, MAX_MOVES_PER_HOST, type ApplyRequest } from '../../src/shard/apply/apply-plan.js';
import type { ApplyMove } from '../../src/shard/apply/apply-moves.js';
import { makeTempDir } from '../support/temp-dir.js';

type State = Record<string, unknown> & { plan_sha256: string };
interface Move {
  shard: string;
  wave: number;
  /** The phase that throws, if any. */
  fails?: string;
  /** How long each of its phases takes (default: the run's phaseMs). */
  ms?: number;
}

let dir: { path: string; remove: () => Promise<void> };
let journal: FileJournal;
beforeEach(async () => {
  dir = await makeTempDir('waves');
  journal = new FileJournal(join(dir.path, 'apply.journal'));
});
afterEach(async () => {
  await dir.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the moves through runInWaves + runPhases as apply does; returns what ran when. */
async function run(moves: Move[], parallel: number, o: { stopAfter?: number; phaseMs?: number } = {}) {
  const events: { shard: string; phase: string; start: number; end: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let phasesRun = 0;
  const phases = (m: Move): Phase<State>[] =>
    ['provision', 'seed', 'verify'].map((p) => ({
      name: `${m.shard}/${p}`,
      describe: () => p,
      run: async (state) => {
        const start = performance.now();
        await sleep(m.ms ?? o.phaseMs ?? 15);
        if (m.fails === p) throw new Error(`${m.shard} ${p} broke`);
        events.push({ shard: m.shard, phase: p, start, end: performance.now() });
        phasesRun += 1;
        // each phase adds to its shard's own key, reading what the journal said before
        return { [`${m.shard}:count`]: Number(state[`${m.shard}:count`] ?? 0) + 1 };
      },
    }));
  const outcome = await runInWaves(
    moves,
    async (m, halted) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await runPhases(phases(m), { journal, initialState: { plan_sha256: 'p' }, resume: true, stopRequested: halted, journalState: (st) => Object.fromEntries(Object.entries(st).filter(([k]) => k === 'plan_sha256' || k.startsWith(`${m.shard}:`))) });
      } finally {
        inFlight -= 1;
      }
    },
    { parallel, ...(o.stopAfter !== undefined ? { stopRequested: () => phasesRun >= (o.stopAfter as number) } : {}) },
  ).then(
    (r) => ({ ok: true as const, r }),
    (e: unknown) => ({ ok: false as const, e }),
  );
  return { events, maxInFlight, outcome };
}

const first = (events: { shard: string; start: number }[], shard: string) => Math.min(...events.filter((e) => e.shard === shard).map((e) => e.start));
const last = (events: { shard: string; end: number }[], shard: string) => Math.max(...events.filter((e) => e.shard === shard).map((e) => e.end));

describe('runInWaves', () => {
  it('groups the moves by wave in the plan order', () => {
    expect(wavesOf([{ shard: 'a', wave: 0 }, { shard: 'b', wave: 0 }, { shard: 'c', wave: 1 }]).map((w) => w.map((m) => m.shard))).toEqual([['a', 'b'], ['c']]);
  });

  it('parallel 1 runs one move after another in the plan order', async () => {
    const { events, maxInFlight, outcome } = await run([{ shard: 'a', wave: 0 }, { shard: 'b', wave: 0 }, { shard: 'c', wave: 1 }], 1);
    expect(outcome.ok).toBe(true);
    expect(maxInFlight).toBe(1);
    expect(events.map((e) => `${e.shard}/${e.phase}`)).toEqual(['a/provision', 'a/seed', 'a/verify', 'b/provision', 'b/seed', 'b/verify', 'c/provision', 'c/seed', 'c/verify']);
  });

  it('parallel 2 overlaps two moves of a wave, never more, and starts a wave only after the one before has finished', async () => {
    const moves = [
      { shard: 'a', wave: 0 },
      { shard: 'b', wave: 0 },
      { shard: 'c', wave: 0 },
      { shard: 'd', wave: 1 },
      { shard: 'e', wave: 1 },
    ];
    const { events, maxInFlight, outcome } = await run(moves, 2);
    expect(outcome.ok).toBe(true);
    expect(maxInFlight).toBe(2);
    // a and b side by side
    expect(first(events, 'b')).toBeLessThan(last(events, 'a'));
    // wave 1 after every move of wave 0
    const wave0End = Math.max(...['a', 'b', 'c'].map((s) => last(events, s)));
    expect(Math.min(first(events, 'd'), first(events, 'e'))).toBeGreaterThanOrEqual(wave0End);
    // the journal's merged state has every shard's own key, each written by its three phases
    const { state, done } = journalProgress(await journal.read(), { plan_sha256: 'p' } as State);
    expect(done.size).toBe(15);
    expect(Object.fromEntries(moves.map((m) => [m.shard, state[`${m.shard}:count`]]))).toEqual({ a: 3, b: 3, c: 3, d: 3, e: 3 });
  });

  it('moves side by side record only their own keys, so a rerun of one is not undone by the other', async () => {
    // a ran before with count 3; b's entries must not carry a:count, or its later entries would
    // write back whatever a:count was when b started
    await journal.append({ phase: 'old', event: 'done', at: new Date().toISOString(), state: { plan_sha256: 'p', 'a:count': 99 } });
    await run([{ shard: 'a', wave: 0 }, { shard: 'b', wave: 0 }], 2, { phaseMs: 20 });
    const entries = await journal.read();
    expect(entries.filter((e) => e.phase.startsWith('b/') && e.state).every((e) => !('a:count' in (e.state ?? {})))).toBe(true);
    expect(journalProgress(entries, { plan_sha256: 'p' } as State).state['a:count']).toBe(102);
  });

  it('a failure stops the move beside it after its current phase, starts no other, and is what is thrown', async () => {
    const { events, outcome } = await run(
      [
        // a fails ~10 ms in, while b is inside its first (150 ms) phase
        { shard: 'a', wave: 0, fails: 'seed', ms: 5 },
        { shard: 'b', wave: 0, ms: 150 },
        { shard: 'c', wave: 0 },
        { shard: 'd', wave: 1 },
      ],
      2,
    );
    expect(outcome.ok).toBe(false);
    const e = (outcome as { e: unknown }).e;
    expect(e).toBeInstanceOf(PhaseFailedError);
    expect((e as PhaseFailedError).phase).toBe('a/seed');
    // b finished the phase it was in when a failed, then stopped before its next
    expect(events.filter((x) => x.shard === 'b').map((x) => x.phase)).toEqual(['provision']);
    expect(events.some((x) => x.shard === 'c' || x.shard === 'd')).toBe(false);
    const entries = await journal.read();
    expect(entries.filter((x) => x.phase === 'b/provision').map((x) => x.event)).toEqual(['start', 'done']);
    expect(entries.some((x) => x.phase === 'b/seed')).toBe(false);
  });

  it("the operator's stop lands between phases: nothing starts after it, and the run says so", async () => {
    // the stop comes as a's first phase ends (5 ms), while b is inside its first (100 ms)
    const { events, outcome } = await run([{ shard: 'a', wave: 0, ms: 5 }, { shard: 'b', wave: 0, ms: 100 }, { shard: 'c', wave: 1 }], 2, { stopAfter: 1 });
    expect(outcome.ok).toBe(false);
    expect((outcome as { e: unknown }).e).toBeInstanceOf(RunStoppedError);
    // b finished the phase it was in; neither began another
    expect(events.map((x) => `${x.shard}/${x.phase}`)).toEqual(['a/provision', 'b/provision']);
    expect(events.some((x) => x.shard === 'c')).toBe(false);
  });

  it('a stop asked during the last phase of a move (which then ends normally) still stops the run before the next move', async () => {
    // 3 phases per move: the stop comes as a's last phase ends; runPhases then returns normally
    const { events, outcome } = await run([{ shard: 'a', wave: 0 }, { shard: 'b', wave: 0 }], 1, { stopAfter: 3 });
    expect(outcome.ok).toBe(false);
    expect((outcome as { e: unknown }).e).toBeInstanceOf(RunStoppedError);
    expect(String((outcome as { e: Error }).e.message)).toContain('before the move of b');
    expect(events.some((x) => x.shard === 'b')).toBe(false);
  });

  it('every move that failed in the wave is named, the first one as the phase', async () => {
    // a fails 5 ms in; b, already inside its phase then, fails as that phase ends
    const { outcome } = await run([{ shard: 'a', wave: 0, fails: 'provision', ms: 5 }, { shard: 'b', wave: 0, fails: 'provision', ms: 60 }], 2);
    const e = (outcome as { e: unknown }).e;
    expect(e).toBeInstanceOf(PhaseFailedError);
    expect((e as PhaseFailedError).phase).toBe('a/provision');
    expect((e as Error).message).toBe('phase a/provision failed: a provision broke (also failed in this wave: b/provision)');
  });

  it('refuses a parallel that is not a positive integer', async () => {
    await expect(runInWaves([{ shard: 'a', wave: 0 }], async () => 1, { parallel: 0 })).rejects.toThrow(/positive integer/);
  });
});

describe('how many moves run on one host at once', () => {
  // 10 moves in one wave, each with its master on h1 and its replica on h2 or h3 in turn
  const moves = Array.from({ length: 10 }, (_, i) => ({ shard: `s${i}`, wave: 1, hosts: ['h1', i % 2 === 0 ? 'h2' : 'h3'] }));
  const hostsOf = (m: { hosts: string[] }) => m.hosts;

  it('is, per wave, the smaller of --parallel and the moves a host takes part in', () => {
    expect(busiestHost(moves, 1, hostsOf)).toEqual({ host: 'h1', moves: 1 });
    expect(busiestHost(moves, 4, hostsOf)).toEqual({ host: 'h1', moves: 4 });
    expect(busiestHost(moves, 64, hostsOf)).toEqual({ host: 'h1', moves: 10 });
    // across waves it is the busiest wave, not the sum
    expect(busiestHost([...moves.slice(0, 3), ...moves.slice(3).map((m) => ({ ...m, wave: 2 }))], 64, hostsOf)).toEqual({ host: 'h1', moves: 7 });
    expect(busiestHost([], 4, hostsOf)).toBeUndefined();
  });

  it('apply refuses (a usage error, exit 2) a --parallel that would put more moves on one host than its SSH channels serve', () => {
    const req = (parallel: number): ApplyRequest => ({
      moves: moves.map((m) => ({ shard: m.shard, wave: m.wave, targets: m.hosts.map((name) => ({ host: { name } })) })) as unknown as ApplyMove[],
      planSha256: 'x',
      journalPath: '/nonexistent/journal',
      resume: false,
      parallel,
    });
    expect(() => checkParallel(req(MAX_MOVES_PER_HOST))).not.toThrow();
    expect(() => checkParallel(req(8))).toThrow(/--parallel 8 would run 8 moves on h1 at once; at most 6/);
    const thrown = (() => {
      try {
        checkParallel(req(8));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(thrown).toMatchObject({ fault: 'operator', code: 'USAGE' });
  });
});
