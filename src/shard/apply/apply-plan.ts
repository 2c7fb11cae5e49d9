import { SafetyRefusal, StateError, UsageError } from '../../core/errors.js';
import { FileJournal, type JournalEntry } from '../../core/phases/journal.js';
import { acquireRunLock } from '../../core/phases/run-lock.js';
import { planPhases, runPhases, type Phase, type PhasePlanLine } from '../../core/phases/phase-runner.js';
import type { ApplyDeps, ApplySettings, ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';
import { catchUpPhase } from './phase-catch-up.js';
import { provisionPhase } from './phase-provision.js';
import { readersPhase } from './phase-readers.js';
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

export function applyPhases(moves: readonly ApplyMove[], deps: ApplyDeps, s: ApplySettings, interrupted: ReadonlySet<string>): Phase<ApplyState>[] {
  return moves.flatMap((m) => [
    provisionPhase(m, deps, s),
    seedPhase(m, deps, s),
    catchUpPhase(m, deps, s),
    verifyPhase(m, deps, s),
    switchoverPhase(m, deps, s, interrupted.has(`${m.shard}/switchover`)),
    readersPhase(m, deps, s),
  ]);
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

/** What apply would do, phase by phase, with what the journal says is done: exactly what --dry-run prints. */
export async function previewApply(req: ApplyRequest, deps: ApplyDeps, s: ApplySettings): Promise<PhasePlanLine[]> {
  const { journal, entries } = await openJournal(req.journalPath, req.planSha256);
  return planPhases(applyPhases(req.moves, deps, s, interruptedPhases(entries)), journal, { plan_sha256: req.planSha256 });
}

/**
 * Runs every move of the plan, in the plan's order, as one journaled run of named phases (six per
 * shard). Each phase is logged with its start, duration and outcome; a failure stops the run with
 * the phase named, and `resume` continues it from there.
 */
export async function applyPlan(req: ApplyRequest, deps: ApplyDeps, s: ApplySettings): Promise<ApplyOutcome> {
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
  const phases = applyPhases(req.moves, deps, s, interruptedPhases(entries));
  const r = await runPhases(phases, {
    journal,
    initialState: { plan_sha256: req.planSha256 },
    resume: true, // the plan line above is always there; a second run without --resume was refused
    logger: deps.logger,
    ...(req.stopRequested ? { stopRequested: req.stopRequested } : {}),
  });
  return { ran: r.ran, skipped: r.skipped, state: r.state };
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
