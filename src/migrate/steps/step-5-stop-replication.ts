import { RemoteError, SafetyRefusal } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import { waitApplied } from '../applied-wait.js';
import { STOP_ROUNDS, transactionsSince } from '../late-writes.js';
import type { MigrateState } from '../migrate-state.js';
import { applied, threadsStopped, toRecorded } from '../replication-checks.js';
import { isAurora } from '../sides.js';
import { makeReadOnly } from './side-read-only.js';
import { at, need, resumeCommand, type StepContext } from './step-context.js';

/**
 * Step 5: stop replication old writer -> new writer at a moment when the new writer has applied
 * everything the old one committed, and make a MySQL/MariaDB new writer writable. Never refuses on
 * a late transaction: it reaches the new writer by replication. Each round reads the old writer's
 * position, lets the new writer apply it, stops replication and checks that no transaction
 * committed meanwhile; if one did, replication starts again (from where it stopped: nothing is
 * applied twice) and the round repeats.
 */
export function stopReplicationPhase(c: StepContext): Phase<MigrateState> {
  const { from, to } = c.rb;
  // read_only = 1 on a replica waits for its applier's commit: bounded like step 3's
  const q = c.bound.query;
  return {
    name: '5-stop-replication',
    describe: () => c.step('5-stop-replication').title,
    precheck: async (s) => {
      need(s.fromFinal, "the old writer's final position");
      // The read-only state is not persisted (no SET PERSIST): a restart of the old writer since step 3 lost it.
      await makeReadOnly(await c.conns.get(from), from, q);
    },
    run: async (s) => {
      const final = need(s.fromFinal, "the old writer's final position");
      const a = await c.conns.get(from);
      const b = await c.conns.get(to);
      let late = 0;
      for (let round = 1; round <= STOP_ROUNDS; round++) {
        let status = await b.replicaStatus();
        if (status === null) throw new RemoteError('MIGRATE_NOT_CAUGHT_UP', `${c.toName} has no replication from ${c.fromName} configured: it cannot have applied ${at(final)}`, { next: 'look at the target\'s replication (SHOW REPLICA STATUS); roll back with dbfleet migrate rollback' });
        if (threadsStopped(status)) {
          // A previous round, or a run killed inside this step: continue replication from where it stopped.
          if (!isAurora(to.engine)) await b.setReadOnly(true, q);
          await b.startReplica();
          status = await b.replicaStatus();
        }
        const p1 = toRecorded(await a.binlogPosition());
        // Bytes are not transactions: a rotation after what the target applied needs no wait.
        const behind = status !== null && !applied(status, p1) && (status.relaySourceLogFile === '' || (await transactionsSince(a, { file: status.relaySourceLogFile, position: status.execSourceLogPos }, p1)) > 0);
        if (behind) await waitApplied(a, b, p1, c.wait, c.env.sleep);
        await b.stopReplica();
        const p2 = await a.binlogPosition();
        late = await transactionsSince(a, p1, p2);
        if (late === 0) {
          if (!isAurora(to.engine)) await b.setReadOnly(false, q);
          return { fromApplied: toRecorded(p2) };
        }
        c.env.logger.warn({ round, late, from: p1, to: at(p2) }, `${c.fromName} committed ${late} transaction(s) while replication stopped: starting it again`);
        await b.startReplica();
      }
      throw new SafetyRefusal('MIGRATE_WRITES_AFTER_FREEZE', `${c.fromName} kept committing after writes were stopped (${late} transaction(s) in the last of ${STOP_ROUNDS} rounds): replication to ${c.toName} was not stopped`, {
        next: `nothing is lost: replication runs again, so ${c.toName} receives those transactions; find and stop the account that still writes on ${c.fromName} (on MariaDB read_only does not stop SUPER / READ_ONLY ADMIN, and migrate preflight lists such writers; on MySQL nothing writes through super_read_only: look for a restart that lost it), then retry step 5 with ${resumeCommand(c.rb.direction)} (or roll back with dbfleet migrate rollback${c.rb.direction === 'cutover' ? '' : ' --resume'})`,
      });
    },
    verify: async () => {
      const b = await c.conns.get(to);
      if (!threadsStopped(await b.replicaStatus())) throw new RemoteError('MIGRATE_STOP_VERIFY', `${c.toName} still replicates`);
      if ((await b.role()) !== 'writer') throw new RemoteError('MIGRATE_NOT_WRITER', `${c.toName} is not writable (role query says reader)`, { next: 'on Aurora, check that target.writer is the cluster writer' });
    },
    undo: async () => {
      const b = await c.conns.get(to);
      if (!isAurora(to.engine)) await b.setReadOnly(true, q);
      if (threadsStopped(await b.replicaStatus())) await b.startReplica();
    },
  };
}
