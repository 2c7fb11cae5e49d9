import { RemoteError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import { finalPosition } from '../freeze-proof.js';
import { freezeReplicates } from '../late-writes.js';
import { underStatementBound } from '../lock-bounds.js';
import { dialectOf } from '../migrate-connect.js';
import type { MigrateState } from '../migrate-state.js';
import { isAurora } from '../sides.js';
import { accountState, endConnections, renameAccount } from '../write-user-rename.js';
import { makeReadOnly } from './side-read-only.js';
import type { StepContext } from './step-context.js';
import { thawOnSource } from './thaw-on-source.js';

/**
 * Step 3: stop writes on the old writer. Rename the write users (their logins fail at once), end
 * their sessions, make a MySQL/MariaDB old writer read-only through its dialect (super_read_only on
 * MySQL stops even SUPER / CONNECTION_ADMIN writers), then take the final position: at once where
 * the server proves nothing commits any more (freeze-proof.ts), else once the binlog stands still.
 * Each statement that can wait on a lock is bounded (cutover.lock_wait_s, lock-bounds.ts): a lock
 * held on the old writer fails the step within the bound, and the undo puts everything back.
 */
export function freezeWritesPhase(c: StepContext): Phase<MigrateState> {
  const { from, to } = c.rb;
  const cfg = c.env.config;
  const users = cfg.write_users;
  const q = c.bound.query;
  return {
    name: '3-freeze-writes',
    describe: () => c.step('3-freeze-writes').title,
    run: async () => {
      const a = await c.conns.get(from);
      const b = await c.conns.get(to);
      await underStatementBound(a, c.bound, async () => {
        for (const u of users) {
          // A rollback's step 9 leaves the accounts frozen alone on an Aurora old writer. A
          // replicated rename would not find them there (and thawing them first would reopen the
          // target to its cluster endpoint before step 6's position): the rename then does not
          // replicate, and step 4 thaws the target after the final position, as always.
          await renameAccount(a.session, u, 'freeze', c.fromName, q, !freezeReplicates(await accountState(b.session, u)));
        }
      });
      const ended = await endConnections(a.session, users, (id) => dialectOf(a).killConnection(id), q);
      // Stops every writer the rename does not (another host entry, an unlisted account, an event).
      await makeReadOnly(a, from, q);
      const final = await finalPosition(a, from, { proof: cfg.cutover.writes_stopped_proof, stableMs: cfg.cutover.writes_stopped_ms, deadlineMs: c.wait, sleep: c.env.sleep, logger: c.env.logger });
      c.env.logger.info({ ended, fromFinal: final.position, by: final.by, ...(final.why ? { why: final.why } : {}) }, `writes stopped on ${c.fromName} (${final.by === 'proof' ? 'proven by the server state' : `binlog still for ${cfg.cutover.writes_stopped_ms} ms`})`);
      return { fromFinal: final.position, fromFinalBy: final.by, connectionsEnded: ended };
    },
    verify: async () => {
      const a = await c.conns.get(from);
      for (const u of users) if ((await accountState(a.session, u)).active) throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${u.user}@${u.host} still exists on ${c.fromName}`);
      if (!isAurora(from.engine) && (await a.role()) !== 'reader') throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${c.fromName} is not read-only after step 3`);
    },
    // on fresh connections (cutover-phases.ts): the failure may have been step 3's own session
    undo: async () => {
      const a = await c.conns.get(from);
      await thawOnSource(a, await c.conns.get(to), from, users, c.snapshot.targetFrozen, c.fromName, c.wait, c.bound);
      if (!isAurora(from.engine)) await a.setReadOnly(false, q);
    },
  };
}
