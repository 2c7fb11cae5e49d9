import { RunStoppedError } from '../../core/phases/phase-runner.js';

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
  let failure: { error: unknown } | undefined;
  let stopped: RunStoppedError | undefined;
  const halted = (): boolean => failure !== undefined || o.stopRequested?.() === true;
  const stopBefore = (what: string): RunStoppedError => new RunStoppedError(`stopped as asked before ${what}`, { next: 'run again with --resume to continue from there' });
  for (const wave of wavesOf(moves)) {
    if (o.stopRequested?.()) throw stopBefore(`wave ${wave[0]?.wave ?? '?'}`);
    const queue = [...wave];
    const worker = async (): Promise<void> => {
      for (let m = queue.shift(); m !== undefined && !halted(); m = queue.shift()) {
        try {
          results.push(await run(m, halted));
        } catch (e) {
          if (e instanceof RunStoppedError) {
            stopped ??= e;
            continue;
          }
          if (failure === undefined) {
            failure = { error: e };
            if (o.parallel > 1) o.onHalt?.(m.shard, e);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.parallel, wave.length) }, worker));
    if (failure) throw failure.error;
    if (stopped) throw stopped;
    if (queue.length > 0) throw stopBefore(`the move of ${queue[0]?.shard ?? '?'}`);
  }
  return results;
}
