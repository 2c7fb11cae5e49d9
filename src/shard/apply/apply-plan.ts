import { SafetyRefusal, StateError, UsageError, errorMessage } from '../../core/errors.js';
import { FileJournal, type JournalEntry } from '../../core/phases/journal.js';
import { acquireRunLock } from '../../core/phases/run-lock.js';
import { journalProgress, planPhases, runPhases, type Phase, type PhasePlanLine } from '../../core/phases/phase-runner.js';
import type { ApplyDeps, ApplySettings, ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';
import { catchUpPhase } from './phase-catch-up.js';
import { provisionPhase } from './phase-provision.js';
import { readersPhase } from './phase-readers.js';
import { busiestHost, runInWaves } from './run-waves.js';
import { seedPhase } from './phase-seed.js';
import { switchoverPhase } from './phase-switchover.js';
import { verifyPhase } from './phase-verify.js';

/** The phases of one move, in order: the runbook of moving one shard. */
export const MOVE_PHASES = ['provision', 'seed', 'catch-up', 'verify', 'switchover', 'readers'] as const;

export interface ApplyRequest {
  moves: ApplyMove[];
  /** Binds the journal to one plan: a journal of another plan is refused. */
  planSha256: string;
  journalPath: string;
  resume: boolean;
  stopRequested?: () => boolean;
  /** `<shard>/<phase>`: run that phase and the shard's later ones again (before its switchover only). */
  redoFrom?: string;
  /** Moves of one wave at a time (default 1: one after another). */
  parallel?: number;
}

export interface ApplyOutcome {
  ran: string[];
  skipped: string[];
  state: ApplyState;
}

/** Phases whose last journal event is `start`: a run died inside them. */
export function interruptedPhases(entries: readonly JournalEntry[]): Set<string> {
  const last = new Map<string, JournalEntry['event']>();
  for (const e of entries) last.set(e.phase, e.event);
  return new Set([...last].filter(([, ev]) => ev === 'start').map(([p]) => p));
}

/** The six phases of one move. */
function movePhases(m: ApplyMove, deps: ApplyDeps, s: ApplySettings, interrupted: ReadonlySet<string>): Phase<ApplyState>[] {
  return [provisionPhase(m, deps, s), seedPhase(m, deps, s), catchUpPhase(m, deps, s), verifyPhase(m, deps, s), switchoverPhase(m, deps, s, interrupted.has(`${m.shard}/switchover`)), readersPhase(m, deps, s)];
}

export function applyPhases(moves: readonly ApplyMove[], deps: ApplyDeps, s: ApplySettings, interrupted: ReadonlySet<string>): Phase<ApplyState>[] {
  return moves.flatMap((m) => movePhases(m, deps, s, interrupted));
}

/** A move's own part of the state (its `<shard>:` keys and the plan binding): what its journal entries record. */
function ownState(shard: string): (state: ApplyState) => Record<string, unknown> {
  return (state) => Object.fromEntries(Object.entries(state).filter(([k]) => k === 'plan_sha256' || k.startsWith(`${shard}:`)));
}

async function openJournal(path: string, planSha256: string): Promise<{ journal: FileJournal; entries: JournalEntry[] }> {
  const journal = new FileJournal(path);
  const entries = await journal.read();
  const other = entries.find((e) => e.state !== undefined && e.state['plan_sha256'] !== planSha256);
  if (other) {
    throw new StateError('JOURNAL_OTHER_PLAN', `${path} records a run of another plan (sha256 ${String(other.state?.['plan_sha256']).slice(0, 12)}…, this one ${planSha256.slice(0, 12)}…)`, {
      next: 'resume with the plan file that run used, or give a new --journal for this plan',
    });
  }
  return { journal, entries };
}

/**
 * Moves at once on one target host: each holds an SSH channel for its seed, and a host's
 * connection opens at most 8 (ssh-host.ts), with room kept for the short commands beside them.
 */
export const MAX_MOVES_PER_HOST = 6;

/** Refuses (exit 2, before anything) a --parallel that would run more moves on one host at once than it can serve. */
export function checkParallel(req: ApplyRequest): void {
  const parallel = req.parallel ?? 1;
  const busiest = busiestHost(req.moves, parallel, (m) => m.targets.map((t) => t.host.name));
  if (busiest && busiest.moves > MAX_MOVES_PER_HOST) {
    throw new UsageError(`--parallel ${parallel} would run ${busiest.moves} moves on ${busiest.host} at once; at most ${MAX_MOVES_PER_HOST} (each holds an SSH channel of the host's 8 for its seed)`, {
      next: `pass --parallel ${MAX_MOVES_PER_HOST} or less, or plan with a lower policy.seeds_per_host`,
    });
  }
}

/** What apply would do, phase by phase, with what the journal says is done: exactly what --dry-run prints. */
export async function previewApply(req: ApplyRequest, deps: ApplyDeps, s: ApplySettings): Promise<PhasePlanLine[]> {
  checkParallel(req);
  const { journal, entries } = await openJournal(req.journalPath, req.planSha256);
  return planPhases(applyPhases(req.moves, deps, s, interruptedPhases(entries)), journal, { plan_sha256: req.planSha256 });
}

/**
 * Runs every move of the plan as journaled, named phases (six per shard), wave after wave in the
 * plan's order, up to `parallel` moves of a wave at once (runInWaves). Each phase is logged with
 * its start, duration and outcome; a failure stops the run with the phase named (moves running
 * beside it stop at their next phase boundary), and `resume` continues it from there.
 */
export async function applyPlan(req: ApplyRequest, deps: ApplyDeps, s: ApplySettings): Promise<ApplyOutcome> {
  checkParallel(req);
  const lock = await acquireRunLock(req.journalPath);
  try {
    return await applyLocked(req, deps, s);
  } finally {
    await lock.release();
  }
}

async function applyLocked(req: ApplyRequest, deps: ApplyDeps, s: ApplySettings): Promise<ApplyOutcome> {
  const { journal, entries } = await openJournal(req.journalPath, req.planSha256);
  if (entries.length === 0) {
    // binds the journal to this plan from the first line, before any phase can die
    await journal.append({ phase: 'plan', event: 'done', at: new Date().toISOString(), detail: 'the plan this journal runs', state: { plan_sha256: req.planSha256 } });
  } else if (!req.resume) {
    throw new StateError('JOURNAL_EXISTS', `${req.journalPath} already records a run (${entries.length} entries)`, { next: 'pass --resume to continue it, or give another --journal to start over' });
  }
  if (req.redoFrom !== undefined) await resetPhases(journal, entries, req.redoFrom, req.moves);
  const interrupted = interruptedPhases(entries);
  const parallel = req.parallel ?? 1;
  const runs = await runInWaves(
    req.moves,
    (move, halted) =>
      runPhases(movePhases(move, deps, s, interrupted), {
        journal,
        initialState: { plan_sha256: req.planSha256 },
        resume: true, // the plan line above is always there; a second run without --resume was refused
        logger: deps.logger,
        stopRequested: halted,
        // moves running side by side share the journal: each records only its own keys
        journalState: ownState(move.shard),
      }),
    {
      parallel,
      ...(req.stopRequested ? { stopRequested: req.stopRequested } : {}),
      onHalt: (shard, e) => deps.logger.error({ shard, err: errorMessage(e) }, `${shard} failed: the moves running beside it stop after their current phase`),
    },
  );
  const { state } = journalProgress(await journal.read(), { plan_sha256: req.planSha256 } as ApplyState);
  const order = new Map(req.moves.flatMap((m) => MOVE_PHASES.map((p) => `${m.shard}/${p}`)).map((name, i) => [name, i]));
  const byPlan = (names: string[]): string[] => names.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return { ran: byPlan(runs.flatMap((r) => r.ran)), skipped: byPlan(runs.flatMap((r) => r.skipped)), state };
}

/**
 * Marks `<shard>/<phase>` and the shard's later phases as not done, so the next run does them again
 * (a copy that failed verify, removed by hand, is provisioned and seeded anew). Refused once the
 * shard's switchover is done: its new master then holds the only current data.
 */
async function resetPhases(journal: FileJournal, entries: readonly JournalEntry[], from: string, moves: readonly ApplyMove[]): Promise<void> {
  const [shard, phase] = from.split('/');
  const move = moves.find((m) => m.shard === shard);
  const index = MOVE_PHASES.indexOf(phase as (typeof MOVE_PHASES)[number]);
  if (!move || index < 0 || index > MOVE_PHASES.indexOf('verify')) {
    throw new UsageError(`--redo-from ${from}: give <shard>/<phase> with a shard of the plan and one of ${MOVE_PHASES.slice(0, 4).join(', ')}`);
  }
  const switched = entries.some((e) => e.phase === `${move.shard}/switchover` && (e.event === 'done' || e.event === 'skipped' || e.event === 'start'));
  if (switched) {
    throw new SafetyRefusal('REDO_AFTER_SWITCHOVER', `${move.shard}'s switchover has started or finished: its new copies may hold the only current data; refusing to redo ${from}`, {
      next: 'move the shard with dbfleet shard switchover instead',
    });
  }
  for (const p of MOVE_PHASES.slice(index)) await journal.append({ phase: `${move.shard}/${p}`, event: 'reset', at: new Date().toISOString(), detail: `--redo-from ${from}` });
}
