import type { MysqlAdmin } from '../../mysql/admin.js';
import { asSwitch } from '../../mysql/row-values.js';
import { dialectOf, runStatements } from '../migrate-connect.js';
import { isAurora, type Side } from '../sides.js';

/**
 * The read-only state of a migration's MySQL/MariaDB writer, through its dialect: the full
 * read-only (super_read_only on MySQL, which stops SUPER / CONNECTION_ADMIN writers too; read_only
 * on MariaDB). Aurora's is not the operator's: nothing happens there.
 */
export async function makeReadOnly(a: MysqlAdmin, side: Side): Promise<void> {
  if (!isAurora(side.engine)) await a.setReadOnly(true);
}

/**
 * Before a RENAME USER on a server made read-only: MySQL's super_read_only refuses it even to the
 * admin (ER 1290), so it is lowered; read_only stays 1, so the write users still cannot write.
 * The caller puts the full read-only back (or makes the server writable) after the rename.
 */
export async function prepareRename(a: MysqlAdmin, side: Side): Promise<void> {
  if (!isAurora(side.engine)) await runStatements(a, dialectOf(a).beforeRenameOnReadOnly());
}

/** True when the dialect's full read-only is in place (always, for Aurora: not the operator's to set). */
export async function fullyReadOnly(a: MysqlAdmin, side: Side): Promise<boolean> {
  if (isAurora(side.engine)) return true;
  const q = dialectOf(a).fullReadOnlyQuery();
  return asSwitch((await a.session.query(q.sql, q.params))[0]?.['ro'], 'read-only flag');
}
