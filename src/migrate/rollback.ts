import { StateError } from '../core/errors.js';
import { FileJournal } from '../core/phases/journal.js';
import { journalProgress, planPhases, runPhases, type Phase } from '../core/phases/phase-runner.js';
import { listRecords } from '../dns/record-store.js';
import type { MigrateState, WithSnapshot } from './migrate-state.js';
import { thawOnSource, verifyTargetAfterThaw } from './steps/thaw-on-source.js';
import type { UndoThawPlan } from './late-writes.js';
import { applyPending } from './dns-steps.js';
import { WriterConnections, withDns, type MigrateEnv } from './migrate-env.js';
import { runDirection, underRunLock, type RunReport } from './migrate-run.js';
import { applied, threadsStopped, toRecorded, waitRunning } from './replication-checks.js';
import { rollbackMode, undoPhases, type RollbackMode, type UndoPhase } from './rollback-plan.js';
import { readerChanges, ttlChanges } from './runbook.js';
import { describeInstance, isAurora } from './sides.js';
import { accountState, renameAccount } from './write-user-rename.js';
import { phaseOutcomes } from './write-window.js';

export interface RollbackReport {
  mode: RollbackMode;
  journal: string;
  /** The cutover's own run to finish steps 8-9 first (reverse mode only). */
  finished?: RunReport | undefined;
  /** The reverse switch (reverse mode). */
  reverse?: RunReport | undefined;
  /** The undo phases (undo mode). */
  undo?: { plan: { phase: string; description: string; status: string }[]; ran: string[]; skipped: string[]; phases: ReturnType<typeof phaseOutcomes> } | undefined;
}

type ModeState = { mode?: RollbackMode | undefined };

export function rollbackJournalPath(journal: string): string {
  return `${journal}.rollback`;
}

/**
 * `migrate rollback`: from whatever step the cutover's journal reached. The rollback has its own
 * journal (JOURNAL.rollback) whose first entry fixes the mode, so a resumed rollback does not
 * change its mind halfway (after its own step 7 the writer record names the source again).
 */
export function migrateRollback(env: MigrateEnv, o: RollbackOptions): Promise<RollbackReport> {
  // The cutover's journal is locked: a rollback never runs beside a run (or another rollback) of it.
  return underRunLock(o.journal, o.dryRun ?? false, () => rollbackUnlocked(env, o));
}

interface RollbackOptions {
  journal: string;
  resume?: boolean;
  dryRun?: boolean;
  acceptSourcePosition?: boolean;
  /**
   * An operator's stop request (Ctrl-C): the reverse switch stops as `migrate run` does (never
   * mid-phase; once its step 3 started, only after its step 7); an undo runs to its end (stopping
   * between its steps could leave writes frozen on both sides).
   */
  signal?: AbortSignal | undefined;
}

async function rollbackUnlocked(env: MigrateEnv, o: RollbackOptions): Promise<RollbackReport> {
  const fwd = new FileJournal(o.journal);
  const rbPath = rollbackJournalPath(o.journal);
  const rbJournal = new FileJournal(rbPath);
  const rbEntries = await rbJournal.read();
  const fwdEntries = await fwd.read();
  const { source, target } = env.sides;
  let mode = journalProgress<ModeState>(rbEntries, {}).state.mode;
  if (!mode) {
    const writer = await withDns(env, (s) => listRecords(s, env.config.dns.zone, env.config.dns.writer_record));
    mode = rollbackMode(fwdEntries, writer.records.some((r) => r.address === target.writer.host));
  }
  if (mode === 'nothing') return { mode, journal: rbPath };
  const fwdState = journalProgress<MigrateState>(fwdEntries, {}).state as WithSnapshot;
  const switchOf = `${source.writer.host}:${source.writer.port} -> ${target.writer.host}:${target.writer.port}`;
  const recorded = fwdState.snapshot.switch ? `${fwdState.snapshot.switch.from} -> ${fwdState.snapshot.switch.to}` : '?';
  if (recorded !== switchOf) {
    throw new StateError('JOURNAL_MISMATCH', `${o.journal} records a switch ${recorded}, not ${switchOf} as the config says`, { next: 'pass the journal of this migration with --journal' });
  }
  const modePhase: Phase<ModeState & MigrateState> = { name: '0-rollback-mode', describe: () => `roll back by ${mode === 'reverse' ? 'the reverse switch' : 'undoing the started steps'}`, run: async () => ({ mode }) };

  if (mode === 'reverse') {
    const dryRun = o.dryRun ?? false;
    if (rbEntries.length > 0 && !o.resume && !dryRun) {
      throw new StateError('JOURNAL_EXISTS', `${rbPath} already records a rollback (${rbEntries.length} entries)`, { next: 'pass --resume to continue it' });
    }
    const fwdDone = journalProgress(fwdEntries, {}).done;
    const finished = fwdDone.has('9-old-writer-follows') ? undefined : await runDirection(env, { journal: o.journal, resume: true, dryRun, direction: 'cutover', from: source, to: target, acceptSourcePosition: o.acceptSourcePosition, signal: o.signal });
    if (!dryRun && rbEntries.length === 0) await runPhases([modePhase], { journal: rbJournal, initialState: {} });
    const reverse = await runDirection(env, {
      journal: rbPath,
      resume: true,
      dryRun,
      direction: 'rollback',
      from: target,
      to: source,
      readerEntriesAfter: fwdState.snapshot.dns.reader.entries,
      acceptSourcePosition: o.acceptSourcePosition,
      signal: o.signal,
    });
    return { mode, journal: rbPath, finished, reverse };
  }

  const conns = new WriterConnections(env);
  try {
    const phases = [modePhase, ...undoPhases(fwdEntries).map((p) => undoPhase(p, env, conns, fwdState))];
    const plan = await planPhases(phases, rbJournal, {});
    let ran: string[] = [];
    let skipped: string[] = [];
    const log = env.logger.child({ migrate: 'rollback' });
    let told = false;
    // a stop request waits for the undo's end: between its steps writes may be frozen on both sides
    const stopRequested = (next: string): boolean => {
      if (o.signal?.aborted && !told) log.warn({ next }, 'stop asked during an undo: running it to its end first');
      told ||= o.signal?.aborted ?? false;
      return false;
    };
    if (!o.dryRun) ({ ran, skipped } = await runPhases(phases, { journal: rbJournal, initialState: {}, resume: o.resume ?? false, logger: log, stopRequested }));
    return { mode, journal: rbPath, undo: { plan, ran, skipped, phases: phaseOutcomes(await rbJournal.read()) } };
  } finally {
    await conns.closeAll();
  }
}

/** One undo step; each reads the world first, so it is right after a crash anywhere in the cutover. */
function undoPhase(name: UndoPhase, env: MigrateEnv, conns: WriterConnections, fwd: WithSnapshot): Phase<ModeState & MigrateState> {
  const { source: from, target: to } = env.sides;
  const cfg = env.config;
  const users = cfg.write_users;
  const wait = cfg.cutover.replication_wait_ms;
  const fromName = describeInstance(from.writer);
  const toName = describeInstance(to.writer);
  const dns = (ops: Parameters<typeof applyPending>[2], why: string) => withDns(env, (s) => applyPending(s, cfg.dns.zone, ops, `rollback: ${why}`, env.actor, env.logger));
  const snap = fwd.snapshot;
  /** Waits until the target has applied the source's current position (source writes are stopped or few). */
  const targetCaughtUp = async (): Promise<void> => {
    const pos = toRecorded(await (await conns.get(from)).binlogPosition());
    const b = await conns.get(to);
    if (!applied(await b.replicaStatus(), pos)) await b.waitForPosition(pos, wait);
  };
  switch (name) {
    case 'undo-5-restart-replication':
      return {
        name,
        describe: () => `restart replication ${fromName} -> ${toName}${isAurora(to.engine) ? '' : ' (read-only again)'}`,
        run: async () => {
          const b = await conns.get(to);
          if (!isAurora(to.engine)) await b.setReadOnly(true);
          if (threadsStopped(await b.replicaStatus())) await b.startReplica();
          await waitRunning(b, from.writer, wait, env.sleep);
        },
      };
    case 'undo-4-refreeze-on-new-writer':
      return {
        name,
        describe: () => `on ${toName}: once the source's rename has arrived, rename the write user(s) back to the frozen name if step 4 had thawed them (so the thaw on the source replicates cleanly)`,
        run: async () => {
          await targetCaughtUp();
          const a = await conns.get(from);
          const b = await conns.get(to);
          for (const u of users) {
            const [sa, sb] = [await accountState(a.session, u), await accountState(b.session, u)];
            if (sa.frozen && !sa.active && sb.active && !sb.frozen) await renameAccount(b.session, u, 'freeze', toName);
          }
        },
      };
    case 'undo-3-thaw-writes': {
      let plans: UndoThawPlan[] = [];
      return {
        name,
        describe: () => `on ${fromName}: rename the write user(s) back${isAurora(from.engine) ? '' : ', read_only = 0'}; writes resume`,
        run: async () => {
          const a = await conns.get(from);
          // The target first applies what the source binlogged; each account's rename back then
          // replicates, or not, so the target's account ends as before the cutover (undoThawPlan).
          plans = await thawOnSource(a, await conns.get(to), from, users, snap.targetFrozen, fromName, wait);
          // Step 3 made a MySQL/MariaDB source read-only.
          if (!isAurora(from.engine)) await a.setReadOnly(false);
          await targetCaughtUp();
        },
        verify: async () => verifyTargetAfterThaw(await conns.get(to), users, plans, toName),
      };
    }
    case 'undo-2-replica-record':
      return {
        name,
        describe: () => `${snap.dns.reader.name} back to ${snap.dns.reader.entries.map((e) => `${e.address}/${e.weight}`).join(', ')}`,
        run: async () => {
          const now = await withDns(env, (s) => listRecords(s, cfg.dns.zone, snap.dns.reader.name));
          const current = { ...snap.dns.reader, entries: now.records.map((r) => ({ address: r.address, weight: r.weight })) };
          await dns(readerChanges(current, snap.dns.reader.entries), 'replica record back');
        },
      };
    case 'undo-1-ttl':
      return {
        name,
        describe: () => `TTLs back: ${snap.dns.writer.name} ${snap.dns.writer.ttl} s, ${snap.dns.reader.name} ${snap.dns.reader.ttl} s`,
        run: async () => {
          const ttlNow = async (n: string) => (await withDns(env, (s) => listRecords(s, cfg.dns.zone, n))).records[0]?.ttl ?? 0;
          const now = { writer: { ...snap.dns.writer, ttl: await ttlNow(snap.dns.writer.name) }, reader: { ...snap.dns.reader, ttl: await ttlNow(snap.dns.reader.name) } };
          const back = ttlChanges(now, (r) => r.ttl, (r) => (r.name === snap.dns.writer.name ? snap.dns.writer.ttl : snap.dns.reader.ttl));
          await dns(back, 'restore the TTL');
        },
      };
  }
}
