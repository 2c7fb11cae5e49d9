import { ConfigError, StateError } from '../core/errors.js';
import { acquireRunLock } from '../core/phases/run-lock.js';
import { FileJournal } from '../core/phases/journal.js';
import type { Logger } from '../core/logger.js';
import { journalProgress, planPhases, runPhases, RunStoppedError, type PhasePlanLine } from '../core/phases/phase-runner.js';
import { cutoverPhases } from './cutover-phases.js';
import type { MigrateState, WithSnapshot } from './migrate-state.js';
import { readDnsSnapshot } from './dns-steps.js';
import { WriterConnections, withDns, type MigrateEnv } from './migrate-env.js';
import { readerEntriesFor, type Runbook } from './runbook.js';
import { runbookFor } from './runbook-input.js';
import { describeInstance, type Side } from './sides.js';
import { accountState } from './write-user-rename.js';
import { resumeCommand } from './steps/step-context.js';
import { phaseOutcomes, stopAllowedBefore, writeWindowMs, type PhaseOutcome } from './write-window.js';

export interface RunReport {
  direction: 'cutover' | 'rollback';
  journal: string;
  dryRun: boolean;
  from: string;
  to: string;
  /** What --dry-run prints: every phase, done or pending, with what it does. */
  plan: PhasePlanLine[];
  ran: string[];
  skipped: string[];
  phases: PhaseOutcome[];
  /** Start of step 3 -> end of step 7, from the journal. */
  writeUnavailableMs?: number | undefined;
  runbook: Runbook;
}

/**
 * The state a run starts from: the journal's snapshot when it holds one (a resume, a dry-run after
 * a crash), otherwise the records as they are now.
 */
export async function startingState(env: MigrateEnv, conns: WriterConnections, journal: FileJournal, from: Side, to: Side, readerEntriesAfter?: { address: string; weight: number }[]): Promise<WithSnapshot> {
  const { state } = journalProgress<MigrateState>(await journal.read(), {});
  const wanted = { from: `${from.writer.host}:${from.writer.port}`, to: `${to.writer.host}:${to.writer.port}` };
  if (state.snapshot) {
    const had = state.snapshot.switch;
    if (had?.from !== wanted.from || had.to !== wanted.to) {
      throw new StateError('JOURNAL_MISMATCH', `${journal.path} records a switch ${had?.from ?? '?'} -> ${had?.to ?? '?'}, not ${wanted.from} -> ${wanted.to} as the config says`, {
        next: 'pass the journal of this migration with --journal, or move this one away',
      });
    }
    return state as WithSnapshot;
  }
  const c = env.config;
  const dns = await withDns(env, (s) => readDnsSnapshot(s, c.dns.zone, c.dns.writer_record, c.dns.reader_record));
  // Where a rollback left write users frozen alone on the target: the undo of step 3 leaves them so.
  const b = await conns.get(to);
  const targetFrozen: string[] = [];
  for (const u of c.write_users) {
    const st = await accountState(b.session, u);
    if (st.frozen && !st.active) targetFrozen.push(`${u.user}@${u.host}`);
  }
  return { ...state, snapshot: { switch: wanted, dns, readerEntriesAfter: readerEntriesAfter ?? readerEntriesFor(to, c.cutover.reader_weight), targetFrozen } };
}

/**
 * The phase runner's stop check for an operator's stop request (`signal`, aborted on Ctrl-C): a
 * phase is never cut short, and inside the write window the run goes on through step 7 first.
 */
function stopCheck(signal: AbortSignal | undefined, log: Logger): ((next: string) => boolean) | undefined {
  if (!signal) return undefined;
  let deferred: string | undefined;
  return (next) => {
    if (!signal.aborted) return false;
    if (stopAllowedBefore(next)) return true;
    if (deferred !== next) log.warn({ next }, `stop asked inside the write window: running ${next} to close it (through 7-writer-record) before stopping`);
    deferred = next;
    return false;
  };
}

/** The RunStoppedError of a stopped run, saying where writes go now and how to go on. */
function stoppedAt(e: RunStoppedError, direction: 'cutover' | 'rollback', from: Side, to: Side, done: ReadonlySet<string>): RunStoppedError {
  const writes = done.has('7-writer-record')
    ? `the write window is closed: writes go to ${describeInstance(to.writer)}`
    : done.has('3-freeze-writes')
      ? `writes are STOPPED on ${describeInstance(from.writer)} (the window is open)`
      : `writes were not stopped: they still go to ${describeInstance(from.writer)}`;
  return new RunStoppedError(`${e.message}; ${writes}`, { cause: e, next: `${resumeCommand(direction)} (same --config and --journal) continues from there` });
}

/** Runs (or, with dryRun, plans) one direction's runbook against a journal. */
export async function runDirection(
  env: MigrateEnv,
  o: { journal: string; resume: boolean; dryRun: boolean; direction: 'cutover' | 'rollback'; from: Side; to: Side; readerEntriesAfter?: { address: string; weight: number }[]; acceptSourcePosition?: boolean | undefined; signal?: AbortSignal | undefined },
): Promise<RunReport> {
  const journal = new FileJournal(o.journal);
  const conns = new WriterConnections(env);
  try {
    const state = await startingState(env, conns, journal, o.from, o.to, o.readerEntriesAfter);
    const rb = await runbookFor(env, conns, o.direction, o.from, o.to, state);
    const phases = cutoverPhases(rb, state.snapshot, env, conns, { journal, acceptSourcePosition: o.acceptSourcePosition });
    const plan = await planPhases(phases, journal, state);
    let ran: string[] = [];
    let skipped: string[] = [];
    if (!o.dryRun) {
      const log = env.logger.child({ migrate: o.direction });
      const stopRequested = stopCheck(o.signal, log);
      try {
        const r = await runPhases(phases, { journal, initialState: state, resume: o.resume, logger: log, ...(stopRequested ? { stopRequested } : {}) });
        ran = r.ran;
        skipped = r.skipped;
      } catch (e) {
        if (!(e instanceof RunStoppedError)) throw e;
        throw stoppedAt(e, o.direction, o.from, o.to, journalProgress(await journal.read(), {}).done);
      }
    }
    const entries = await journal.read();
    const final = journalProgress<MigrateState>(entries, state).state as WithSnapshot;
    return {
      direction: o.direction,
      journal: o.journal,
      dryRun: o.dryRun,
      from: o.from.writer.id,
      to: o.to.writer.id,
      plan,
      ran,
      skipped,
      phases: phaseOutcomes(entries),
      writeUnavailableMs: writeWindowMs(entries),
      runbook: o.dryRun ? rb : await runbookFor(env, conns, o.direction, o.from, o.to, final),
    };
  } finally {
    await conns.closeAll();
  }
}

/**
 * Runs `work` holding the journal's run lock (`<journal>.lock`): one `migrate run` or `migrate
 * rollback` per migration at a time. A dry-run changes nothing and takes no lock.
 */
export async function underRunLock<T>(journal: string, dryRun: boolean, work: () => Promise<T>): Promise<T> {
  if (dryRun) return work();
  const lock = await acquireRunLock(journal);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/**
 * `migrate run`: the cutover source -> target. `acceptSourcePosition` (only with `resume`): step 9
 * goes on past transactions the old writer committed after replication stopped, journaling that the
 * operator accepted them (they are not on the new writer). `signal`: an operator's stop request
 * (the CLI aborts it on SIGINT / SIGTERM); the run stops at the next phase boundary outside the
 * write window with a RunStoppedError, resumable with --resume.
 */
export async function migrateRun(env: MigrateEnv, o: { journal: string; resume?: boolean; dryRun?: boolean; acceptSourcePosition?: boolean; signal?: AbortSignal | undefined }): Promise<RunReport> {
  const { source, target } = env.sides;
  if (o.acceptSourcePosition && !o.resume) {
    throw new ConfigError('--accept-source-position needs --resume: it accepts what step 9 of a started run refused', { next: 'run with --resume --accept-source-position after the refusal' });
  }
  // Only a fresh run is refused: a resume (steps already done, the record already changed) must stay possible.
  if (target.readers.length === 0 && (await new FileJournal(o.journal).read()).length === 0) {
    // The replica record would hold only the target's writer; it stays at weight 0 until step 7 (see readerEntriesFor).
    throw new ConfigError(`target has no readers: the replica record ${env.config.dns.reader_record} would have no serving entry after step 2`, {
      next: 'add a reader to the target cluster (and to target.readers) before the cutover',
    });
  }
  return underRunLock(o.journal, o.dryRun ?? false, () =>
    runDirection(env, { journal: o.journal, resume: o.resume ?? false, dryRun: o.dryRun ?? false, direction: 'cutover', from: source, to: target, acceptSourcePosition: o.acceptSourcePosition, signal: o.signal }),
  );
}

/** `migrate runbook`: the cutover's steps with the real names, addresses and (masked) SQL. Changes nothing. */
export async function migrateRunbook(env: MigrateEnv, journalPath?: string): Promise<Runbook> {
  const { source, target } = env.sides;
  const conns = new WriterConnections(env);
  try {
    const journal = new FileJournal(journalPath ?? '/nonexistent/dbfleet-no-journal');
    const state = await startingState(env, conns, journal, source, target);
    return await runbookFor(env, conns, 'cutover', source, target, state);
  } finally {
    await conns.closeAll();
  }
}
