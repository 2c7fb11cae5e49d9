import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin, QueryOptions } from '../../mysql/admin.js';
import { asSwitch } from '../../mysql/row-values.js';
import { dialectOf, runStatements } from '../migrate-connect.js';
import { isAurora, type Side } from '../sides.js';

/**
 * The read-only state of a migration's MySQL/MariaDB writer, through its dialect: the full
 * read-only (super_read_only on MySQL, which stops SUPER / CONNECTION_ADMIN writers too; read_only
 * on MariaDB). Aurora's is not the operator's: nothing happens there. `o`: the statements' bound
 * (steps 3-7: lock-bounds.ts).
 */
export async function makeReadOnly(a: MysqlAdmin, side: Side, o?: QueryOptions): Promise<void> {
  if (!isAurora(side.engine)) await a.setReadOnly(true, o);
}

/**
 * Before a RENAME USER on a server made read-only: MySQL's super_read_only refuses it even to the
 * admin (ER 1290), so it is lowered; read_only stays 1, so the write users still cannot write.
 * For the undo of step 3, whose caller makes the server writable right after; every other rename
 * goes through renameOnReadOnly, which puts it back.
 */
export async function prepareRename(a: MysqlAdmin, side: Side, o?: QueryOptions): Promise<void> {
  if (!isAurora(side.engine)) await runStatements(a, dialectOf(a).beforeRenameOnReadOnly(), o);
}

/**
 * Runs `rename` (RENAME USER statements) on a server that may be fully read-only: where the
 * dialect's full read-only is on and refuses the rename (MySQL's super_read_only), it is lowered
 * for the rename only (read_only stays 1) and set again right after, whether the rename went
 * through or not: a refusal leaves the server as it found it (a replica lowered so could take
 * writes from SUPER / CONNECTION_ADMIN accounts, transactions its source never has).
 */
export async function renameOnReadOnly<T>(a: MysqlAdmin, side: Side, name: string, rename: () => Promise<T>, o?: QueryOptions): Promise<T> {
  const lower = isAurora(side.engine) ? [] : dialectOf(a).beforeRenameOnReadOnly();
  if (lower.length === 0 || !(await fullyReadOnly(a, side, o))) return rename();
  await runStatements(a, lower, o);
  let out: T;
  try {
    out = await rename();
  } catch (e) {
    await restoreFullReadOnly(a, name, e, o);
    throw e;
  }
  await restoreFullReadOnly(a, name, undefined, o);
  return out;
}

async function restoreFullReadOnly(a: MysqlAdmin, name: string, renameError?: unknown, o?: QueryOptions): Promise<void> {
  try {
    await a.setReadOnly(true, o);
  } catch (e) {
    const after = renameError === undefined ? 'after the rename' : `after a failed rename (${renameError instanceof Error ? renameError.message : String(renameError)})`;
    throw new RemoteError('MIGRATE_READ_ONLY_NOT_RESTORED', `${name}: the full read-only could not be set again ${after}: it is left lowered`, {
      cause: e,
      next: `set it by hand on ${name} (${dialectOf(a).setReadOnly(true).map((s) => s.redacted).join('; ')}), then resume`,
    });
  }
}

/** True when the dialect's full read-only is in place (always, for Aurora: not the operator's to set). */
export async function fullyReadOnly(a: MysqlAdmin, side: Side, o?: QueryOptions): Promise<boolean> {
  if (isAurora(side.engine)) return true;
  const q = dialectOf(a).fullReadOnlyQuery();
  return asSwitch((await a.session.query(q.sql, q.params, o))[0]?.['ro'], 'read-only flag');
}
