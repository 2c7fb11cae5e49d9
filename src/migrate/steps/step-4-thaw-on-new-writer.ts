import { RemoteError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import { dialectOf } from '../migrate-connect.js';
import type { MigrateState } from '../migrate-state.js';
import { underStatementBound } from '../lock-bounds.js';
import { waitApplied } from '../applied-wait.js';
import { accountState, endConnections, renameAccount } from '../write-user-rename.js';
import { renameOnReadOnly } from './side-read-only.js';
import { need, type StepContext } from './step-context.js';

/**
 * Step 4: on the new writer, once it has applied the final position (the rename has arrived where
 * it replicates), end the write users' sessions there and rename them back. A MySQL new writer (a
 * rollback's) is still a super_read_only replica until step 5: the rename lowers that for itself
 * and sets it again, so no SUPER account can write there while it replicates, whether step 5 then
 * goes on, refuses, or the run is killed in between.
 */
export function thawOnNewWriterPhase(c: StepContext): Phase<MigrateState> {
  const { to } = c.rb;
  const users = c.env.config.write_users;
  return {
    name: '4-thaw-on-new-writer',
    describe: () => c.step('4-thaw-on-new-writer').title,
    run: async (s) => {
      const final = need(s.fromFinal, "the old writer's final position");
      const b = await c.conns.get(to);
      const how = await waitApplied(await c.conns.get(c.rb.from), b, final, c.wait, c.env.sleep);
      c.env.logger.info({ how }, `${c.toName} has applied the final position (${how})`);
      // Sessions opened on the target before the freeze arrived could write before step 6's
      // position (those writes would never reach the old writer): end them before the rename back.
      const q = c.bound.query;
      const ended = await endConnections(b.session, users, (id) => dialectOf(b).killConnection(id), q);
      await renameOnReadOnly(b, to, c.toName, () => underStatementBound(b, c.bound, async () => {
        for (const u of users) await renameAccount(b.session, u, 'thaw', c.toName, q);
      }), q);
      c.env.logger.info({ ended }, `write user(s) back on ${c.toName}`);
      return { finalAppliedBy: how };
    },
    verify: async () => {
      const b = await c.conns.get(to);
      for (const u of users) if (!(await accountState(b.session, u)).active) throw new RemoteError('MIGRATE_THAW_VERIFY', `${u.user}@${u.host} is missing on ${c.toName}`);
    },
  };
}
