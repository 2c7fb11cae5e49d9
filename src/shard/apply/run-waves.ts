import { errorMessage } from '../../core/errors.js';
import { PhaseFailedError, RunStoppedError } from '../../core/phases/phase-runner.js';

/** What the wave runner needs of a move. */
export interface WaveMove {
  shard: string;
  wave: number;
}

export interface WaveOptions {
  /** Moves of one wave run at most this many at a time (1: one after another, in the plan's order). */
  parallel: number;
  /** The operator's stop (Ctrl-C): asked by every move between its phases. */
  stopRequested?: () => boolean;
  /** Told when a move fails while others are still in flight (they stop at their next phase boundary). */
  onHalt?: (shard: string, error: unknown) => void;
}

/** The moves grouped by wave, in the plan's order (the plan lists waves in order, check-plan verifies it). */
export function wavesOf<M extends WaveMove>(moves: readonly M[]): M[][] {
  const waves: M[][] = [];
  for (const m of moves) {
    const last = waves.at(-1);
    if (last && last[0]?.wave === m.wave) last.push(m);
    else waves.push([m]);
  }
  return waves;
}

/**
 * Runs every move, wave after wave: a wave starts only when the one before has finished (the
 * planner bounds how many moves of one wave seed onto, or from, one host). Within a wave up to
 * `parallel` moves run at once, taken in the plan's order. `run` gets a `halted` check to ask
 * between its phases: once any move fails (or the operator asks to stop), no move starts and the
 * running ones stop at their next phase boundary, never inside a phase. The first failure is
 * thrown after every running move has stopped; a RunStoppedError if only a stop was asked for.
 */
export async function runInWaves<M extends WaveMove, R>(moves: readonly M[], run: (move: M, halted: () => boolean) => Promise<R>, o: WaveOptions): Promise<R[]> {
  if (!Number.isInteger(o.parallel) || o.parallel < 1) throw new RangeError(`parallel must be a positive integer, not ${o.parallel}`);
  const results: R[] = [];
  const failures: { shard: string; error: unknown }[] = [];
  let stopped: RunStoppedError | undefined;
  const halted = (): boolean => failures.length > 0 || o.stopRequested?.() === true;
  const stopBefore = (what: string): RunStoppedError => new RunStoppedError(`stopped as asked before ${what}`, { next: 'run again with --resume to continue from there' });
  for (const wave of wavesOf(moves)) {
    if (o.stopRequested?.()) throw stopBefore(`wave ${wave[0]?.wave ?? '?'}`);
    const queue = [...wave];
    const worker = async (): Promise<void> => {
      // the halt is asked before a move is taken, so a stopped run never drops one silently
      while (!halted()) {
        const m = queue.shift();
        if (m === undefined) return;
        try {
          results.push(await run(m, halted));
        } catch (e) {
          if (e instanceof RunStoppedError) {
            stopped ??= e;
            continue;
          }
          failures.push({ shard: m.shard, error: e });
          if (failures.length === 1 && o.parallel > 1) o.onHalt?.(m.shard, e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.parallel, wave.length) }, worker));
    if (failures.length > 0) throw withOthers(failures);
    if (stopped) throw stopped;
    if (queue.length > 0) throw stopBefore(`the move of ${queue[0]?.shard ?? '?'}`);
  }
  return results;
}

/** The first failure, naming the others of the same wave (each is in the journal and the log too). */
function withOthers(failures: readonly { shard: string; error: unknown }[]): unknown {
  const [first, ...others] = failures;
  if (!first || others.length === 0 || !(first.error instanceof PhaseFailedError)) return first?.error;
  const e = first.error;
  const also = others.map((f) => (f.error instanceof PhaseFailedError ? f.error.phase : `${f.shard}: ${errorMessage(f.error)}`));
  return new PhaseFailedError(e.phase, e.undone, `${e.message} (also failed in this wave: ${also.join(', ')})`, { cause: e.cause, ...(e.next !== undefined ? { next: e.next } : {}) });
}

/**
 * The host that would run the most moves at once under `parallel`, and how many: per wave, a host
 * takes part in at most min(parallel, its moves in that wave) at a time. Undefined without moves.
 */
export function busiestHost<M extends WaveMove>(moves: readonly M[], parallel: number, hostsOf: (m: M) => readonly string[]): { host: string; moves: number } | undefined {
  let busiest: { host: string; moves: number } | undefined;
  for (const wave of wavesOf(moves)) {
    const count = new Map<string, number>();
    for (const m of wave) for (const h of new Set(hostsOf(m))) count.set(h, (count.get(h) ?? 0) + 1);
    for (const [host, n] of count) {
      const at = Math.min(parallel, n);
      if (!busiest || at > busiest.moves) busiest = { host, moves: at };
    }
  }
  return busiest;
}
