import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import { dialectOf, runStatements } from '../engine/admin-dialect.js';
import { RootSqlError, type RootClient } from './root-client.js';

/** Accounts the server creates for itself; never copied. */
const BUILT_IN = new Set(['root', 'mariadb.sys', 'mysql.sys', 'mysql.session', 'mysql.infoschema', 'PUBLIC', '']);
const USER = /^[A-Za-z0-9_.-]{1,80}$/;
const HOST = /^[A-Za-z0-9_.%:-]{1,255}$/;

/**
 * The SQL that recreates the source's accounts (users with their password hashes, and grants) on
 * a new server, unlogged (sql_log_bin = 0) so the new server has no GTIDs of its own. A dump of
 * the user databases does not carry accounts, and the application and replication users must be
 * there before the new server can take a master's place. Read from the source as SHOW CREATE
 * USER / SHOW GRANTS, in the session the dialect asks for (MySQL prints its binary
 * caching_sha2_password hashes as hex there, which a text client carries intact); the result holds
 * password hashes, so it travels only on stdin.
 */
export async function accountsSql(source: MysqlAdmin): Promise<{ sql: string; accounts: string[] }> {
  await runStatements(source, dialectOf(source).accountExportSession());
  const rows = await source.session.query('SELECT user AS u, host AS h FROM mysql.user ORDER BY user, host');
  const lines = ['SET SESSION sql_log_bin = 0;'];
  const accounts: string[] = [];
  for (const r of rows) {
    const user = String(r['u']);
    const host = String(r['h']);
    if (BUILT_IN.has(user)) continue;
    if (!USER.test(user) || !HOST.test(host)) {
      throw new RemoteError('SEED_UNSAFE_ACCOUNT', `account ${JSON.stringify(user)}@${JSON.stringify(host)} on ${source.endpoint.host} has characters dbfleet will not quote; copy it by hand`, {
        next: 'create that account on the new servers by hand, or drop it on the source, then resume',
      });
    }
    const account = `'${user}'@'${host}'`;
    const create = (await source.session.query(`SHOW CREATE USER ${account}`))[0];
    const grants = await source.session.query(`SHOW GRANTS FOR ${account}`);
    lines.push(`DROP USER IF EXISTS ${account};`, `${String(Object.values(create ?? {})[0])};`);
    for (const g of grants) lines.push(`${String(Object.values(g)[0])};`);
    accounts.push(`${user}@${host}`);
  }
  return { sql: `${lines.join('\n')}\n`, accounts };
}

/** Runs accountsSql's output on the new server as root over its socket (the copy must let root write). */
export async function copyAccounts(source: MysqlAdmin, target: RootClient): Promise<string[]> {
  const { sql, accounts } = await accountsSql(source);
  try {
    await target.exec(sql, { timeoutMs: 60_000 });
  } catch (e) {
    if (!(e instanceof RootSqlError)) throw e;
    // the client may echo the statement it failed on, password hash included: keep only the error number
    throw new RemoteError('SEED_ACCOUNTS_FAILED', `creating the accounts on the new server over ${target.socket} failed with server error ${e.errno ?? 'unknown'} (statement text withheld: it holds password hashes)`, {
      next: 'compare SHOW GRANTS of the accounts on the source with what this server version accepts',
    });
  }
  return accounts;
}
