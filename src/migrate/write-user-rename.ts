import { RemoteError } from '../core/errors.js';
import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import { quote } from '../mysql/sql-literal.js';
import type { Statement } from '../mysql/statement.js';
import { CREDENTIAL_QUERY, credentialFingerprint } from './write-user-audit.js';

/**
 * Stopping writes by renaming the application's write account (the seed's step 3): new logins fail
 * at once with "access denied", and the account comes back with its password and grants intact by
 * renaming it again. The frozen name is fixed, so every step (and a resume, and a rollback) can tell
 * from mysql.user alone which state an account is in.
 */
export const FROZEN_SUFFIX = '_frozen_dbfleet';

export interface WriteUser {
  user: string;
  host: string;
}

export function frozenName(user: string): string {
  return `${user}${FROZEN_SUFFIX}`;
}

export function account(user: string, host: string): string {
  return `${quote(user)}@${quote(host)}`;
}

/** RENAME USER 'app'@'%' TO 'app_frozen_dbfleet'@'%' (or back, with `thaw`). */
export function renameSql(u: WriteUser, direction: 'freeze' | 'thaw'): string {
  const [from, to] = direction === 'freeze' ? [u.user, frozenName(u.user)] : [frozenName(u.user), u.user];
  return `RENAME USER ${account(from, u.host)} TO ${account(to, u.host)}`;
}

/** Which of the two names exist on a server: `active` (the real name) and `frozen`. */
export interface AccountState {
  active: boolean;
  frozen: boolean;
}

export async function accountState(s: SqlSession, u: WriteUser, o?: QueryOptions): Promise<AccountState> {
  const rows = await s.query('SELECT User AS u FROM mysql.user WHERE Host = ? AND User IN (?, ?)', [u.host, u.user, frozenName(u.user)], o);
  const names = new Set(rows.map((r) => String(r['u'])));
  return { active: names.has(u.user), frozen: names.has(frozenName(u.user)) };
}

/**
 * Renames the account unless it is already in the wanted state; refuses when neither or both names
 * exist. `unlogged`: the rename runs with `SET SESSION sql_log_bin = 0` (restored after), so it does
 * not replicate (see freezeReplicates in late-writes.ts); needs SUPER / SYSTEM_VARIABLES_ADMIN, so
 * only ever asked of a MySQL/MariaDB server.
 */
export async function renameAccount(s: SqlSession, u: WriteUser, direction: 'freeze' | 'thaw', server: string, o?: QueryOptions, unlogged = false): Promise<'renamed' | 'already'> {
  const st = await accountState(s, u, o);
  const want = direction === 'freeze' ? st.frozen && !st.active : st.active && !st.frozen;
  if (want) return 'already';
  const ready = direction === 'freeze' ? st.active && !st.frozen : st.frozen && !st.active;
  if (!ready) {
    throw new RemoteError('MIGRATE_ACCOUNT_STATE', `${server}: cannot ${direction} ${account(u.user, u.host)}: ${u.user} ${st.active ? 'exists' : 'is missing'}, ${frozenName(u.user)} ${st.frozen ? 'exists' : 'is missing'}`, {
      next: 'look at mysql.user on that server; exactly one of the two names must exist',
    });
  }
  if (!unlogged) {
    await s.query(renameSql(u, direction), [], o);
    return 'renamed';
  }
  await s.query('SET SESSION sql_log_bin = 0', [], o);
  try {
    await s.query(renameSql(u, direction), [], o);
  } finally {
    await s.query('SET SESSION sql_log_bin = 1', [], o);
  }
  return 'renamed';
}

/**
 * Ends every connection of the given accounts (both names: a renamed account's sessions keep their
 * old user name in the processlist), with the dialect's kill (Aurora's admin user has no KILL on
 * other users' threads: mysql.rds_kill there). A thread that ended by itself meanwhile is not an error.
 */
export async function endConnections(s: SqlSession, users: readonly WriteUser[], kill: (id: number) => Statement, o?: QueryOptions): Promise<number> {
  const names = users.flatMap((u) => [u.user, frozenName(u.user)]);
  const rows = await s.query(`SELECT ID AS id FROM information_schema.PROCESSLIST WHERE USER IN (${names.map(() => '?').join(', ')}) AND ID <> CONNECTION_ID()`, names, o);
  let ended = 0;
  for (const r of rows) {
    const id = Number(r['id']);
    if (!Number.isSafeInteger(id)) continue;
    try {
      const k = kill(id);
      await s.query(k.sql, k.params, o);
      ended += 1;
    } catch (e) {
      if (!/unknown thread|1094/i.test(String((e as Error).message))) throw e;
    }
  }
  return ended;
}

/**
 * SHOW GRANTS of an account (MariaDB's IDENTIFIED clause cut out) and a fingerprint of its stored
 * credential from mysql.user (compared, never shown). `as` reads the account under another name
 * (its frozen one) and reports the grants as if it had the real name.
 */
export async function grantsOf(s: SqlSession, u: WriteUser, o?: QueryOptions & { as?: string }): Promise<{ grants: string[]; secretDigest: string } | undefined> {
  const name = o?.as ?? u.user;
  let rows;
  try {
    rows = await s.query(`SHOW GRANTS FOR ${account(name, u.host)}`, [], o);
  } catch (e) {
    if (/1141|no such grant/i.test(String((e as Error).message))) return undefined;
    throw e;
  }
  const grants = rows
    .map((r) => String(Object.values(r)[0]))
    .map((g) => g.replace(/ IDENTIFIED (BY PASSWORD|VIA \S+ USING|WITH \S+ AS) '([^']*)'/g, ''))
    .map((g) => (name === u.user ? g : g.split(`\`${name}\``).join(`\`${u.user}\``).split(`'${name}'`).join(`'${u.user}'`)))
    .sort();
  const secretDigest = credentialFingerprint(await s.query(CREDENTIAL_QUERY, [name, u.host], o)) ?? '';
  return { grants, secretDigest };
}
