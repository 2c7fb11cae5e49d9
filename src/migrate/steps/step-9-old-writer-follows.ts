import { SafetyRefusal } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import { replicationGtidPlan } from '../gtid-mode-read.js';
import { transactionsSince } from '../late-writes.js';
import { dialectOf, runStatements } from '../migrate-connect.js';
import type { MigrateState } from '../migrate-state.js';
import { oldWriterActions, type OldWriterObserved } from '../old-writer-plan.js';
import { applied, threadsRunning, threadsStopped, toRecorded, waitRunning } from '../replication-checks.js';
import type { RecordedPosition, Runbook } from '../runbook.js';
import { isAurora } from '../sides.js';
import { accountState, renameAccount } from '../write-user-rename.js';
import { fullyReadOnly, makeReadOnly, renameOnReadOnly } from './side-read-only.js';
import { at, need, resumeCommand, type StepContext } from './step-context.js';

/** The journal "phase" under which step 9 records an operator's --accept-source-position. */
export const ACCEPT_ENTRY = '9-accepted-source-position';

/**
 * Step 9: the old writer becomes a replica of the new one from step 6's position (the way back),
 * read-only with the write users restored; an Aurora old writer keeps them frozen. Refused, with
 * nothing changed, when the old writer committed transactions after step 5's position (they could
 * not reach the new writer any more) or when the two servers' gtid_mode cannot replicate.
 */
export function oldWriterFollowsPhase(c: StepContext): Phase<MigrateState> {
  const { from, to } = c.rb;
  const cfg = c.env.config;
  const users = cfg.write_users;
  const gtidPlan = async () => replicationGtidPlan(await c.conns.get(from), c.fromName, await c.conns.get(to), c.toName);
  const observe = async (s: Readonly<MigrateState>): Promise<OldWriterObserved> => {
    const pos = need(s.toPosition, "the new writer's recorded position");
    const a = await c.conns.get(from);
    const st = await a.replicaStatus();
    // A stopped replication from before the switch (step 5 stops, never resets) names the same host
    // at an older position: only a replica at or past step 6's position was set up by this step.
    const followsNewWriter = st !== null && st.sourceHost === to.writer.host && st.sourcePort === to.writer.port && applied(st, pos);
    let usersActive = true;
    for (const u of users) if (!(await accountState(a.session, u)).active) usersActive = false;
    const gtid = await gtidPlan();
    return {
      aurora: isAurora(from.engine),
      followsNewWriter,
      threadsRunning: threadsRunning(st),
      threadsStopped: threadsStopped(st),
      usersActive,
      fullReadOnly: await fullyReadOnly(a, from),
      assignGtids: gtid.kind === 'assign',
      gtidsAssigned: gtid.kind === 'assign' ? await gtidsAssigned(a) : undefined,
    };
  };

  return {
    name: '9-old-writer-follows',
    describe: () => c.step('9-old-writer-follows').title,
    isDone: async (s) => s.toPosition !== undefined && oldWriterActions(await observe(s)).length === 0,
    run: async (s) => {
      const pos = need(s.toPosition, "the new writer's recorded position");
      const since = s.acceptedSourcePosition?.position ?? s.fromApplied ?? need(s.fromFinal, "the old writer's final position");
      const a = await c.conns.get(from);
      const gtid = await gtidPlan();
      if (gtid.kind === 'refuse') {
        throw new SafetyRefusal('MIGRATE_GTID_MODES', `${c.fromName} cannot replicate from ${c.toName}: ${gtid.why}; step 9 changed nothing`, { next: `${gtid.next}; then ${resumeCommand(c.rb.direction)}` });
      }
      // The read-only state is not persisted (no SET PERSIST): a restart of the old writer since step 3 lost it.
      await makeReadOnly(a, from);
      for (const action of oldWriterActions(await observe(s))) {
        switch (action) {
          case 'check-final-position': {
            const now = await a.binlogPosition();
            const n = await transactionsSince(a, since, now);
            if (n === 0) break;
            if (!c.opts.acceptSourcePosition) throw lateWritesRefusal(c.rb.direction, c.fromName, c.toName, since, now, n);
            const accepted = { position: toRecorded(now), transactions: n, since };
            await c.opts.journal.append({
              phase: ACCEPT_ENTRY,
              event: 'done',
              at: new Date().toISOString(),
              detail: `the operator accepted ${c.fromName} at ${at(now)}: ${n} transaction(s) after ${at(since)} exist only on ${c.fromName}, NOT on ${c.toName}; reconcile them by hand`,
              state: { acceptedSourcePosition: accepted },
            });
            c.env.logger.warn(accepted, `9-old-writer-follows: accepted ${n} transaction(s) on ${c.fromName} that are not on ${c.toName}`);
            break;
          }
          case 'read-only':
            await makeReadOnly(a, from);
            break;
          case 'reset-and-change-source':
            await a.resetReplicaAll();
            await a.changeSource({ kind: 'position', host: to.writer.host, port: to.writer.port, user: cfg.replication.user, password: c.env.secrets.replication, file: pos.file, position: pos.position, ssl: cfg.replication.ssl });
            break;
          case 'stop-replica':
            // a resume found the assignment missing with a thread running (or connecting): MySQL refuses it then (ER 3081)
            await a.stopReplica();
            break;
          case 'assign-gtids':
            // gtid-mode-plan.ts: the new writer writes anonymous transactions, the old writer is at gtid_mode ON.
            await runStatements(a, dialectOf(a).assignGtidsToAnonymous() ?? []);
            c.env.logger.info({ why: gtid.why }, `9-old-writer-follows: ${c.fromName} assigns GTIDs to anonymous transactions`);
            break;
          case 'start-replica':
            await a.startReplica();
            c.env.logger.info({ from: pos }, `9-old-writer-follows: replica started on ${c.fromName}`);
            break;
          case 'thaw-users':
            await renameOnReadOnly(a, from, c.fromName, async () => {
              for (const u of users) await renameAccount(a.session, u, 'thaw', c.fromName);
            });
            break;
          case 'full-read-only':
            await a.setReadOnly(true);
            break;
        }
      }
    },
    verify: async () => waitRunning(await c.conns.get(from), to.writer, c.wait, c.env.sleep),
  };
}

/**
 * Whether the old writer's channel stores a GTID assignment (LOCAL or a UUID). No row (a channel
 * after a plain RESET REPLICA keeps the setting in memory only until its next start) counts as
 * missing: setting it again, with the threads stopped, is harmless.
 */
async function gtidsAssigned(a: MysqlAdmin): Promise<boolean> {
  const q = dialectOf(a).assignedGtidsQuery();
  if (!q) return false;
  const type = (await a.session.query(q.sql, q.params))[0]?.['type'];
  return type !== undefined && type !== null && String(type).toUpperCase() !== 'OFF';
}

/** Step 9's refusal: real transactions after the position the target has, which it cannot get any more. */
export function lateWritesRefusal(direction: Runbook['direction'], fromName: string, toName: string, since: RecordedPosition, now: { file: string; position: number }, n: number): SafetyRefusal {
  const accept = direction === 'cutover' ? 'dbfleet migrate run --resume --accept-source-position (or, to roll back instead, dbfleet migrate rollback --accept-source-position, which finishes this step first)' : 'dbfleet migrate rollback --resume --accept-source-position';
  return new SafetyRefusal('MIGRATE_WRITES_AFTER_FREEZE', `${fromName} committed ${n} transaction(s) after ${at(since)} (now ${at(now)}), after replication to ${toName} stopped: they exist only on ${fromName}; refusing to make it replicate from ${toName}`, {
    next: `find and stop the account that writes there (on MariaDB read_only does not stop SUPER / READ_ONLY ADMIN; on either engine a restart loses the read-only state); those ${n} transaction(s) are NOT on ${toName} and must be reconciled by hand (SHOW BINLOG EVENTS IN '${since.file}' FROM ${since.position} on ${fromName}); then let step 9 go on, journaling that you accept them: ${accept}`,
  });
}
