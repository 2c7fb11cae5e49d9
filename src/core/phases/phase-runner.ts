import { DbfleetError, StateError, errorMessage, type DbfleetErrorOptions } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { FileJournal, JournalEntry } from './journal.js';

/**
 * One named step of dangerous work (a runbook line). `run` must be safe to run again after a
 * crash in the middle of it, or `isDone` must tell that it already happened.
 */
export interface Phase<S extends Record<string, unknown>> {
  name: string;
  /** One line for --dry-run and the runbook: what it does, with the real names. */
  describe: (state: Readonly<S>) => string;
  /** True when the world already shows this phase's effect (a resume after a crash mid-phase). */
  isDone?: (state: Readonly<S>) => Promise<boolean>;
  /** Refuse (throw) before changing anything: a refusal runs no undo (unless an earlier run was cut off inside this phase). */
  precheck?: (state: Readonly<S>) => Promise<void>;
  /** Does the work; returns what to merge into the run's state. */
  run: (state: Readonly<S>) => Promise<Partial<S> | void>;
  /** Proves the effect is there (read back, never trust an OK). */
  verify?: (state: Readonly<S>) => Promise<void>;
  /** Puts things back as they were before this phase, when it failed. */
  undo?: (state: Readonly<S>) => Promise<void>;
}

export interface RunOptions<S extends Record<string, unknown>> {
  journal: FileJournal;
  initialState: S;
  /** Continue a run the journal shows as unfinished; without it, an existing journal is refused. */
  resume?: boolean;
  logger?: Logger;
  now?: () => Date;
  /**
   * Asked before each phase still to run, with its name: true stops the run there (an operator's
   * Ctrl-C never lands mid-phase; a run may also refuse to stop before some phases, e.g. inside a
   * window that must be closed first).
   */
  stopRequested?: (nextPhase: string) => boolean;
  /**
   * What of the state each entry records (default: all of it). Runs that share one journal at the
   * same time record only their own keys, so that none writes another's older values back.
   */
  journalState?: (state: S) => Record<string, unknown>;
}

/** Thrown when the run stopped between phases because a stop was asked for; resumable. */
export class RunStoppedError extends DbfleetError {
  readonly code = 'RUN_STOPPED';
  /** Not bad input: the run is sound and resumable; exit 1. */
  readonly fault = 'safety' as const;
}

export interface PhasePlanLine {
  phase: string;
  description: string;
  status: 'done' | 'pending';
}

export interface RunResult<S> {
  state: S;
  /** Phases run now (not skipped as already done). */
  ran: string[];
  skipped: string[];
}

/** Thrown when a phase failed; names it, says whether its undo ran, and how to go on. */
export class PhaseFailedError extends DbfleetError {
  readonly code = 'PHASE_FAILED';
  readonly fault = 'remote' as const;
  constructor(
    readonly phase: string,
    readonly undone: boolean,
    message: string,
    options: DbfleetErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The journal's view of a run: which phases are done, and the state after the last one. */
export function journalProgress<S extends Record<string, unknown>>(entries: readonly JournalEntry[], initial: S): { done: Set<string>; state: S } {
  const done = new Set<string>();
  let state = initial;
  for (const e of entries) {
    if (e.event === 'done' || e.event === 'skipped') {
      done.add(e.phase);
      if (e.state) state = { ...state, ...(e.state as Partial<S>) };
    } else if (e.event === 'reset') {
      done.delete(e.phase);
    }
  }
  return { done, state };
}

/** The exact list of phases and what each will do: what --dry-run prints. Reads only the journal. */
export async function planPhases<S extends Record<string, unknown>>(phases: readonly Phase<S>[], journal: FileJournal, initial: S): Promise<PhasePlanLine[]> {
  const { done, state } = journalProgress(await journal.read(), initial);
  return phases.map((p) => ({ phase: p.name, description: p.describe(state), status: done.has(p.name) ? 'done' : 'pending' }));
}

/**
 * Runs phases in order, journaling start, end, duration and outcome of each. A phase already done
 * (by the journal, or by its own isDone check after a crash mid-phase) is skipped. A precheck's
 * refusal changes and undoes nothing. On a failure after it, the phase's undo runs (with its own errors reported, not hidden) and a PhaseFailedError names the
 * phase; the journal stays, so `--resume` continues from there.
 */
export async function runPhases<S extends Record<string, unknown>>(phases: readonly Phase<S>[], o: RunOptions<S>): Promise<RunResult<S>> {
  const log = o.logger ?? silentLogger;
  const now = o.now ?? (() => new Date());
  const names = new Set<string>();
  for (const p of phases) {
    if (names.has(p.name)) throw new StateError('DUPLICATE_PHASE', `phase ${p.name} appears twice`);
    names.add(p.name);
  }
  const entries = await o.journal.read();
  if (entries.length > 0 && !o.resume) {
    throw new StateError('JOURNAL_EXISTS', `${o.journal.path} already records a run (${entries.length} entries)`, {
      next: 'pass --resume to continue it, or move the journal away to start over',
    });
  }
  let { done, state } = journalProgress(entries, o.initialState);
  const recorded = (st: S): Record<string, unknown> => (o.journalState ? o.journalState(st) : st);
  const ran: string[] = [];
  const skipped: string[] = [];
  for (const p of phases) {
    if (done.has(p.name)) {
      skipped.push(p.name);
      continue;
    }
    if (o.stopRequested?.(p.name)) {
      log.warn({ next: p.name }, `stopped as asked, before phase ${p.name}`);
      throw new RunStoppedError(`stopped as asked before phase ${p.name}; ${ran.length} phase${ran.length === 1 ? '' : 's'} ran`, { next: 'run again with --resume to continue from there' });
    }
    const started = performance.now();
    const at = now().toISOString();
    if (p.isDone && (await p.isDone(state))) {
      await o.journal.append({ phase: p.name, event: 'skipped', at, detail: 'already done (found on resume)', state: recorded(state) });
      log.info({ phase: p.name }, `phase ${p.name}: already done, skipped`);
      skipped.push(p.name);
      continue;
    }
    // an earlier run that started this phase and never ended it may have left part of its effect
    const interrupted = entries.filter((e) => e.phase === p.name).at(-1)?.event === 'start';
    await o.journal.append({ phase: p.name, event: 'start', at, detail: p.describe(state) });
    log.info({ phase: p.name, what: p.describe(state) }, `phase ${p.name}: start`);
    let checked = false;
    try {
      await p.precheck?.(state);
      checked = true;
      const out = await p.run(state);
      if (out) state = { ...state, ...out };
      await p.verify?.(state);
    } catch (e) {
      const ms = Math.round(performance.now() - started);
      // A refusal in the precheck changed nothing, so nothing is undone (an undo would write back
      // what others may have changed since, e.g. a record a checker moved). Only where an earlier
      // run was cut off inside this phase can its effect be there: then the undo runs as usual.
      const refused = !checked && !interrupted;
      await o.journal.append({ phase: p.name, event: 'failed', at: now().toISOString(), ms, detail: refused ? `refused before any change: ${errorMessage(e)}` : errorMessage(e) });
      log.error({ phase: p.name, ms, err: errorMessage(e) }, refused ? `phase ${p.name}: refused in its precheck, nothing changed` : `phase ${p.name}: failed`);
      let undone = false;
      if (p.undo && !refused) {
        try {
          await p.undo(state);
          undone = true;
          await o.journal.append({ phase: p.name, event: 'undone', at: now().toISOString() });
          log.warn({ phase: p.name }, `phase ${p.name}: undone`);
        } catch (u) {
          await o.journal.append({ phase: p.name, event: 'undo-failed', at: now().toISOString(), detail: errorMessage(u) });
          log.error({ phase: p.name, err: errorMessage(u) }, `phase ${p.name}: UNDO FAILED; fix by hand before resuming`);
        }
      }
      const resume = `run again with --resume (phases before ${p.name} are not repeated)`;
      const advice = e instanceof DbfleetError ? e.next : undefined;
      throw new PhaseFailedError(p.name, undone, `phase ${p.name} ${refused ? 'refused (nothing changed)' : `failed${undone ? ' (undone)' : ''}`}: ${errorMessage(e)}`, {
        cause: e,
        next: advice ? `${advice}\n  then: ${resume}` : `fix the cause, then ${resume}`,
      });
    }
    const ms = Math.round(performance.now() - started);
    await o.journal.append({ phase: p.name, event: 'done', at: now().toISOString(), ms, state: recorded(state) });
    log.info({ phase: p.name, ms }, `phase ${p.name}: done`);
    done = new Set(done).add(p.name);
    ran.push(p.name);
  }
  return { state, ran, skipped };
}
