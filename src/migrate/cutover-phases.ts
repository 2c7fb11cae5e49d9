import { RemoteError, SafetyRefusal } from '../core/errors.js';
import type { MysqlAdmin } from '../mysql/admin.js';
import type { FileJournal } from '../core/phases/journal.js';
import type { Phase } from '../core/phases/phase-runner.js';
import { readerChanges, ttlChanges, type Runbook, type RunbookStep, type StepPhase, type RecordedPosition, type DnsSnapshot } from './runbook.js';
import { applyPending, verifyApplied } from './dns-steps.js';
import { withDns, type MigrateEnv, type WriterConnections } from './migrate-env.js';
import { beforeRenameOnReadOnly, fullReadOnlyQuery, oldWriterActions, READ_ONLY_ON, type OldWriterObserved } from './old-writer-plan.js';
import { applied, threadsRunning, threadsStopped, toRecorded, waitBinlogStill, waitRunning } from './replication-checks.js';
import { describeInstance, isAurora, type Side } from './sides.js';
import { accountState, endConnections, renameAccount, type WriteUser } from './write-user-rename.js';
import { freezeReplicates, STOP_ROUNDS, transactionsSince, undoThawPlan, type UndoThawPlan } from './late-writes.js';

/** What the journal carries from step to step (and across a crash). */
export type MigrateState = {
  /** The records before step 1 and the replica record's entries after step 2 (phase 0). */
  snapshot?: {
    /** `host:port` of where writes were and where they go: a journal from another migration is refused. */
    switch: { from: string; to: string };
    dns: DnsSnapshot;
    readerEntriesAfter: { address: string; weight: number }[];
    /**
     * `user@host` of the write users frozen alone on the target before the switch (what a rollback
     * leaves on an Aurora old writer): the undo of step 3 leaves them so. Absent in older journals.
     */
    targetFrozen?: string[] | undefined;
  } | undefined;
  /** The old writer's binlog position once writes stopped (step 3); its GTID position too where the server has one. */
  fromFinal?: RecordedPosition | undefined;
  /**
   * The old writer's position when replication stopped (step 5): the target has applied every
   * transaction up to it (a late one after step 3 reached the target by replication).
   */
  fromApplied?: RecordedPosition | undefined;
  /** The operator's acknowledgement (--accept-source-position): step 9 goes on from this position of the old writer. */
  acceptedSourcePosition?: { position: RecordedPosition; transactions: number; since: RecordedPosition } | undefined;
  /** The new writer's binlog position after replication stopped (step 6). */
  toPosition?: RecordedPosition | undefined;
  connectionsEnded?: number | undefined;
};

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new RemoteError('MIGRATE_STATE_MISSING', `the journal does not hold ${what}`, { next: 'the journal is not from this runbook; inspect it before going on' });
  return v;
}


/** The journal "phase" under which step 9 records an operator's --accept-source-position. */
export const ACCEPT_ENTRY = '9-accepted-source-position';

/** The command that resumes a direction (the rollback's reverse switch is resumed by `rollback --resume`). */
export function resumeCommand(direction: Runbook['direction']): string {
  return direction === 'cutover' ? 'dbfleet migrate run --resume' : 'dbfleet migrate rollback --resume';
}

export interface CutoverOptions {
  /** The run's journal: step 9 journals an --accept-source-position there. */
  journal: FileJournal;
  /** The operator accepts that transactions after the position step 9 compares against exist only on the old writer. */
  acceptSourcePosition?: boolean | undefined;
}

const at = (p: { file: string; position: number }): string => `${p.file}:${p.position}`;

/**
 * The undo of step 3 on the source, per write user: the target is first brought up to the source's
 * current position, then the source's account is renamed back, replicated or not (undoThawPlan) so
 * the target's account ends as it was before the cutover. Returns each user's plan for the verify.
 */
export async function thawOnSource(a: MysqlAdmin, b: MysqlAdmin, users: readonly WriteUser[], targetFrozenBefore: readonly string[] | undefined, fromName: string, wait: number): Promise<UndoThawPlan[]> {
  const pos = toRecorded(await a.binlogPosition());
  if (!applied(await b.replicaStatus(), pos)) await b.waitForPosition(pos, wait);
  const plans: UndoThawPlan[] = [];
  for (const u of users) {
    const plan = undoThawPlan({ source: await accountState(a.session, u), target: await accountState(b.session, u), targetFrozenBefore: targetFrozenBefore?.includes(`${u.user}@${u.host}`) });
    if (plan.thaw !== 'none') await renameAccount(a.session, u, 'thaw', fromName, undefined, plan.thaw === 'unlogged');
    plans.push(plan);
  }
  return plans;
}

/** Throws unless each user's account on the target is what its plan says. */
export async function verifyTargetAfterThaw(b: MysqlAdmin, users: readonly WriteUser[], plans: readonly UndoThawPlan[], toName: string): Promise<void> {
  for (const [i, u] of users.entries()) {
    const st = await accountState(b.session, u);
    const want = plans[i]?.targetAfter ?? 'active';
    const frozenAlone = st.frozen && !st.active;
    const activeAlone = st.active && !st.frozen;
    const ok = want === 'active' ? activeAlone : want === 'frozen' ? frozenAlone : activeAlone || frozenAlone;
    if (!ok) throw new RemoteError('MIGRATE_THAW_VERIFY', `${u.user}@${u.host} on ${toName}: expected ${want === 'active-or-frozen' ? 'the real or the frozen name alone' : want === 'active' ? 'the real name alone' : 'the frozen name alone (as before the cutover)'}, found ${u.user} ${st.active ? 'present' : 'absent'}, frozen name ${st.frozen ? 'present' : 'absent'}`, {
      next: 'look at mysql.user on both sides and at the target\'s replication; then rollback --resume',
    });
  }
}

/** Lowers MySQL 8's super_read_only (keeping read_only) so the admin's RENAME USER is accepted; nothing elsewhere. */
export async function prepareRename(a: MysqlAdmin, side: Side): Promise<void> {
  if (isAurora(side.engine)) return;
  for (const q of beforeRenameOnReadOnly(a.version.flavor)) await a.session.query(q);
}

/**
 * The runbook's steps as journaled phases. Every `run` reads the world before it changes it, so
 * running a step again after a crash in its middle finishes it instead of doing it twice.
 */
export function cutoverPhases(rb: Runbook, snapshot: NonNullable<MigrateState['snapshot']>, env: MigrateEnv, conns: WriterConnections, opts: CutoverOptions): Phase<MigrateState>[] {
  const { from, to } = rb;
  const cfg = env.config;
  const users = cfg.write_users;
  const zone = cfg.dns.zone;
  const log = env.logger;
  const fromName = describeInstance(from.writer);
  const toName = describeInstance(to.writer);
  const wait = cfg.cutover.replication_wait_ms;
  const step = (p: StepPhase): RunbookStep => rb.steps.find((s) => s.phase === p) as RunbookStep;
  const title = (p: StepPhase) => (): string => step(p).title;
  const dns = (ops: Parameters<typeof applyPending>[2], why: string) => withDns(env, (s) => applyPending(s, zone, ops, `${rb.direction}: ${why}`, env.actor, log));
  const dnsVerify = (ops: Parameters<typeof verifyApplied>[2]) => withDns(env, (s) => verifyApplied(s, zone, ops));
  const lower = step('1-lower-ttl').dnsChanges.flat();
  const readerOps = step('2-replica-record').dnsChanges.flat();
  const writerOps = step('7-writer-record').dnsChanges.flat();
  const restore = step('8-restore-ttl').dnsChanges.flat();
  const maxOldTtl = Math.max(snapshot.dns.writer.ttl, snapshot.dns.reader.ttl);
  const observeOldWriter = async (s: Readonly<MigrateState>): Promise<OldWriterObserved> => {
    const pos = need(s.toPosition, "the new writer's recorded position");
    const a = await conns.get(from);
    const st = await a.replicaStatus();
    // A stopped replication from before the switch (step 5 stops, never resets) names the same host
    // at an older position: only a replica at or past step 6's position was set up by this step.
    const followsNewWriter = st !== null && st.sourceHost === to.writer.host && st.sourcePort === to.writer.port && applied(st, pos);
    let usersActive = true;
    for (const u of users) if (!(await accountState(a.session, u)).active) usersActive = false;
    const aurora = isAurora(from.engine);
    const fullReadOnly = aurora || Number((await a.session.query(fullReadOnlyQuery(a.version.flavor)))[0]?.['ro']) === 1;
    return { aurora, followsNewWriter, threadsRunning: threadsRunning(st), usersActive, fullReadOnly };
  };

  return [
    {
      name: '0-snapshot',
      describe: () => `record the records' state before the switch: ${snapshot.dns.writer.name} -> ${snapshot.dns.writer.entries.map((e) => e.address).join(',')} (TTL ${snapshot.dns.writer.ttl} s), ${snapshot.dns.reader.name} (TTL ${snapshot.dns.reader.ttl} s)`,
      run: async () => ({ snapshot }),
    },
    {
      name: '1-lower-ttl',
      describe: title('1-lower-ttl'),
      run: async () => {
        await dns(lower, 'lower the TTL for the switch');
        // Waited even when a resumed step finds the TTL already lowered: the wait is the point.
        if (lower.length > 0) await env.sleep(maxOldTtl * 1000);
      },
      verify: () => dnsVerify(lower),
      undo: async () => void (await dns(ttlChanges(snapshot.dns, () => cfg.cutover.ttl_s, (r) => r.ttl), 'undo: restore the TTL')),
    },
    {
      name: '2-replica-record',
      describe: title('2-replica-record'),
      precheck: async () => {
        // Reads go to these instances next: each must answer before the record names it.
        for (const r of to.readers) {
          const a = await env.connect(to.engine, { host: r.host, port: r.port, user: cfg.admin.user, password: env.secrets.admin });
          await a.close();
        }
      },
      run: async () => void (await dns(readerOps, 'replica record to the new readers')),
      verify: () => dnsVerify(readerOps),
      undo: async () => void (await dns(readerChanges({ ...snapshot.dns.reader, entries: snapshot.readerEntriesAfter }, snapshot.dns.reader.entries), 'undo: replica record back')),
    },
    {
      name: '3-freeze-writes',
      describe: title('3-freeze-writes'),
      run: async () => {
        const a = await conns.get(from);
        const b = await conns.get(to);
        for (const u of users) {
          // A rollback's step 9 leaves the accounts frozen alone on an Aurora old writer. A
          // replicated rename would not find them there (and thawing them first would reopen the
          // target to its cluster endpoint before step 6's position): the rename then does not
          // replicate, and step 4 thaws the target after the final position, as always.
          await renameAccount(a.session, u, 'freeze', fromName, undefined, !freezeReplicates(await accountState(b.session, u)));
        }
        const ended = await endConnections(a.session, users, isAurora(from.engine));
        // Stops every writer the rename does not (another host entry, an unlisted account, an event).
        if (!isAurora(from.engine)) await a.session.query(READ_ONLY_ON);
        const fromFinal = await waitBinlogStill(a, cfg.cutover.writes_stopped_ms, wait, env.sleep);
        log.info({ ended, fromFinal }, `writes stopped on ${fromName}`);
        return { fromFinal, connectionsEnded: ended };
      },
      verify: async () => {
        const a = await conns.get(from);
        for (const u of users) if ((await accountState(a.session, u)).active) throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${u.user}@${u.host} still exists on ${fromName}`);
        if (!isAurora(from.engine) && (await a.role()) !== 'reader') throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${fromName} is not read-only after step 3`);
      },
      undo: async () => {
        const a = await conns.get(from);
        await thawOnSource(a, await conns.get(to), users, snapshot.targetFrozen, fromName, wait);
        if (!isAurora(from.engine)) await a.setReadOnly(false);
      },
    },
    {
      name: '4-thaw-on-new-writer',
      describe: title('4-thaw-on-new-writer'),
      run: async (s) => {
        const final = need(s.fromFinal, "the old writer's final position");
        const b = await conns.get(to);
        if (!applied(await b.replicaStatus(), final)) await b.waitForPosition(final, wait);
        // Sessions opened on the target before the freeze arrived could write before step 6's
        // position (those writes would never reach the old writer): end them before the rename back.
        const ended = await endConnections(b.session, users, isAurora(to.engine));
        await prepareRename(b, to);
        for (const u of users) await renameAccount(b.session, u, 'thaw', toName);
        log.info({ ended }, `write user(s) back on ${toName}`);
      },
      verify: async () => {
        const b = await conns.get(to);
        for (const u of users) if (!(await accountState(b.session, u)).active) throw new RemoteError('MIGRATE_THAW_VERIFY', `${u.user}@${u.host} is missing on ${toName}`);
      },
    },
    {
      name: '5-stop-replication',
      describe: title('5-stop-replication'),
      precheck: async (s) => {
        need(s.fromFinal, "the old writer's final position");
        // read_only is not persisted (no SET PERSIST): a restart of the old writer since step 3 lost it.
        if (!isAurora(from.engine)) await (await conns.get(from)).session.query(READ_ONLY_ON);
      },
      run: async (s) => {
        const final = need(s.fromFinal, "the old writer's final position");
        // Never refuses on a late transaction: it reaches the target by replication. Each round
        // reads the old writer's position, lets the target apply it, stops replication and checks
        // that no transaction committed meanwhile; if one did, replication starts again (from where
        // it stopped: nothing is applied twice) and the round repeats.
        const a = await conns.get(from);
        const b = await conns.get(to);
        let late = 0;
        for (let round = 1; round <= STOP_ROUNDS; round++) {
          let status = await b.replicaStatus();
          if (status === null) throw new RemoteError('MIGRATE_NOT_CAUGHT_UP', `${toName} has no replication from ${fromName} configured: it cannot have applied ${at(final)}`, { next: 'look at the target\'s replication (SHOW REPLICA STATUS); roll back with dbfleet migrate rollback' });
          if (threadsStopped(status)) {
            // A previous round, or a run killed inside this step: continue replication from where it stopped.
            if (!isAurora(to.engine)) await b.setReadOnly(true);
            await b.startReplica();
            status = await b.replicaStatus();
          }
          const p1 = toRecorded(await a.binlogPosition());
          // Bytes are not transactions: a rotation after what the target applied needs no wait.
          const behind = status !== null && !applied(status, p1) && (status.relaySourceLogFile === '' || (await transactionsSince(a, { file: status.relaySourceLogFile, position: status.execSourceLogPos }, p1)) > 0);
          if (behind) await b.waitForPosition(p1, wait);
          await b.stopReplica();
          const p2 = await a.binlogPosition();
          late = await transactionsSince(a, p1, p2);
          if (late === 0) {
            if (!isAurora(to.engine)) await b.setReadOnly(false);
            return { fromApplied: toRecorded(p2) };
          }
          log.warn({ round, late, from: p1, to: at(p2) }, `${fromName} committed ${late} transaction(s) while replication stopped: starting it again`);
          await b.startReplica();
        }
        throw new SafetyRefusal('MIGRATE_WRITES_AFTER_FREEZE', `${fromName} kept committing after writes were stopped (${late} transaction(s) in the last of ${STOP_ROUNDS} rounds): replication to ${toName} was not stopped`, {
          next: `nothing is lost: replication runs again, so ${toName} receives those transactions; find and stop the account that still writes on ${fromName} (read_only does not stop SUPER / CONNECTION_ADMIN / READ_ONLY ADMIN; migrate preflight lists such writers), then retry step 5 with ${resumeCommand(rb.direction)} (or roll back with dbfleet migrate rollback${rb.direction === 'cutover' ? '' : ' --resume'})`,
        });
      },
      verify: async () => {
        const b = await conns.get(to);
        if (!threadsStopped(await b.replicaStatus())) throw new RemoteError('MIGRATE_STOP_VERIFY', `${toName} still replicates`);
        if ((await b.role()) !== 'writer') throw new RemoteError('MIGRATE_NOT_WRITER', `${toName} is not writable (role query says reader)`, { next: 'on Aurora, check that target.writer is the cluster writer' });
      },
      undo: async () => {
        const b = await conns.get(to);
        if (!isAurora(to.engine)) await b.setReadOnly(true);
        if (threadsStopped(await b.replicaStatus())) await b.startReplica();
      },
    },
    {
      name: '6-record-position',
      describe: title('6-record-position'),
      run: async () => ({ toPosition: toRecorded(await (await conns.get(to)).binlogPosition()) }),
    },
    {
      name: '7-writer-record',
      describe: title('7-writer-record'),
      precheck: async () => {
        const b = await conns.get(to);
        if (!threadsStopped(await b.replicaStatus()) || (await b.role()) !== 'writer') {
          throw new RemoteError('MIGRATE_TARGET_NOT_READY', `${toName} is not a stopped-replication writer`, { next: 'resume from step 5' });
        }
      },
      run: async () => void (await dns(writerOps, 'writer record to the new writer')),
      verify: () => dnsVerify(writerOps),
      undo: async () => void (await dns([{ op: 'replace-writer', name: cfg.dns.writer_record, expect: { address: to.writer.host }, address: from.writer.host }], 'undo: writer record back')),
    },
    {
      name: '8-restore-ttl',
      describe: title('8-restore-ttl'),
      run: async () => void (await dns(restore, 'restore the TTL')),
      verify: () => dnsVerify(restore),
    },
    {
      name: '9-old-writer-follows',
      describe: title('9-old-writer-follows'),
      isDone: async (s) => s.toPosition !== undefined && oldWriterActions(await observeOldWriter(s)).length === 0,
      run: async (s) => {
        const pos = need(s.toPosition, "the new writer's recorded position");
        const since = s.acceptedSourcePosition?.position ?? s.fromApplied ?? need(s.fromFinal, "the old writer's final position");
        const a = await conns.get(from);
        // read_only is not persisted (no SET PERSIST): a restart of the old writer since step 3 lost it.
        if (!isAurora(from.engine)) await a.session.query(READ_ONLY_ON);
        for (const action of oldWriterActions(await observeOldWriter(s))) {
          switch (action) {
            case 'check-final-position': {
              const now = await a.binlogPosition();
              const n = await transactionsSince(a, since, now);
              if (n === 0) break;
              if (!opts.acceptSourcePosition) throw lateWritesRefusal(rb.direction, fromName, toName, since, now, n);
              const accepted = { position: toRecorded(now), transactions: n, since };
              await opts.journal.append({
                phase: ACCEPT_ENTRY,
                event: 'done',
                at: new Date().toISOString(),
                detail: `the operator accepted ${fromName} at ${at(now)}: ${n} transaction(s) after ${at(since)} exist only on ${fromName}, NOT on ${toName}; reconcile them by hand`,
                state: { acceptedSourcePosition: accepted },
              });
              log.warn(accepted, `9-old-writer-follows: accepted ${n} transaction(s) on ${fromName} that are not on ${toName}`);
              break;
            }
            case 'read-only':
              await a.session.query(READ_ONLY_ON);
              break;
            case 'reset-and-change-source':
              await a.resetReplicaAll();
              await a.changeSource({ kind: 'position', host: to.writer.host, port: to.writer.port, user: cfg.replication.user, password: env.secrets.replication, file: pos.file, position: pos.position, ssl: cfg.replication.ssl });
              break;
            case 'start-replica':
              await a.startReplica();
              log.info({ from: pos }, `9-old-writer-follows: replica started on ${fromName}`);
              break;
            case 'thaw-users':
              await prepareRename(a, from);
              for (const u of users) await renameAccount(a.session, u, 'thaw', fromName);
              break;
            case 'full-read-only':
              await a.setReadOnly(true);
              break;
          }
        }
      },
      verify: async () => waitRunning(await conns.get(from), to.writer, wait, env.sleep),
    },
  ];
}

/** Step 9's refusal: real transactions after the position the target has, which it cannot get any more. */
export function lateWritesRefusal(direction: Runbook['direction'], fromName: string, toName: string, since: RecordedPosition, now: { file: string; position: number }, n: number): SafetyRefusal {
  const accept = direction === 'cutover' ? 'dbfleet migrate run --resume --accept-source-position (or, to roll back instead, dbfleet migrate rollback --accept-source-position, which finishes this step first)' : 'dbfleet migrate rollback --resume --accept-source-position';
  return new SafetyRefusal('MIGRATE_WRITES_AFTER_FREEZE', `${fromName} committed ${n} transaction(s) after ${at(since)} (now ${at(now)}), after replication to ${toName} stopped: they exist only on ${fromName}; refusing to make it replicate from ${toName}`, {
    next: `find and stop the account that writes there (read_only does not stop SUPER / CONNECTION_ADMIN / READ_ONLY ADMIN); those ${n} transaction(s) are NOT on ${toName} and must be reconciled by hand (SHOW BINLOG EVENTS IN '${since.file}' FROM ${since.position} on ${fromName}); then let step 9 go on, journaling that you accept them: ${accept}`,
  });
}
