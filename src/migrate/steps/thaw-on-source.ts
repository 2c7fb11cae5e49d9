import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import { undoThawPlan, type UndoThawPlan } from '../late-writes.js';
import { underStatementBound, type LockBound } from '../lock-bounds.js';
import { applied, toRecorded } from '../replication-checks.js';
import type { Side } from '../sides.js';
import { accountState, renameAccount, type WriteUser } from '../write-user-rename.js';
import { prepareRename } from './side-read-only.js';

/**
 * The undo of step 3 on the source, per write user: the target is first brought up to the source's
 * current position, then the source's account is renamed back, replicated or not (undoThawPlan) so
 * the target's account ends as it was before the cutover. Step 3 made a MySQL source
 * super_read_only, which refuses the rename: it is lowered first (read_only stays until the caller
 * makes the source writable). Returns each user's plan for the verify. `bound`: the renames' lock
 * bound (lock-bounds.ts), where the caller has one.
 */
export async function thawOnSource(a: MysqlAdmin, b: MysqlAdmin, side: Side, users: readonly WriteUser[], targetFrozenBefore: readonly string[] | undefined, fromName: string, wait: number, bound?: LockBound): Promise<UndoThawPlan[]> {
  const pos = toRecorded(await a.binlogPosition());
  if (!applied(await b.replicaStatus(), pos)) await b.waitForPosition(pos, wait);
  const plans: UndoThawPlan[] = [];
  const q = bound?.query;
  for (const u of users) {
    const plan = undoThawPlan({ source: await accountState(a.session, u), target: await accountState(b.session, u), targetFrozenBefore: targetFrozenBefore?.includes(`${u.user}@${u.host}`) });
    if (plan.thaw !== 'none') {
      await prepareRename(a, side, q);
      const rename = () => renameAccount(a.session, u, 'thaw', fromName, q, plan.thaw === 'unlogged');
      await (bound ? underStatementBound(a, bound, rename) : rename());
    }
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
