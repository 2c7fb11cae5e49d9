import { createHash } from 'node:crypto';
import type { Row } from '../mysql/admin.js';

/**
 * Pure judgements about the write accounts, for preflight. Table-tested: the MySQL 8 and Aurora
 * forms cannot be produced by the sandbox's MariaDB.
 */

/**
 * How an account's password compares across servers, never shown: a SHA-256 of mysql.user's
 * `plugin` and `authentication_string`. SHOW GRANTS carries the hash only on MariaDB (IDENTIFIED BY
 * PASSWORD); MySQL 5.7/8 and Aurora print no IDENTIFIED clause there, so the row is read instead.
 * Both columns exist on every flavor: MySQL's table, MariaDB's mysql.user view over global_priv.
 * Replication copies the stored hash (caching_sha2_password's salt included), so an account that
 * reached the target by replication compares equal. Undefined when the account does not exist.
 */
export function credentialFingerprint(rows: readonly Row[]): string | undefined {
  const r = rows[0];
  if (!r) return undefined;
  const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v === null || v === undefined ? '' : String(v));
  return createHash('sha256').update(`${text(r['plugin'])}\u0000${text(r['authentication_string'])}`).digest('hex');
}

export const CREDENTIAL_QUERY = 'SELECT plugin, authentication_string FROM mysql.user WHERE User = ? AND Host = ?';

/**
 * Privileges in SHOW GRANTS lines that let an account write through read_only: SUPER and
 * CONNECTION_ADMIN (MySQL 8), READ_ONLY ADMIN (MariaDB 10.5+), and ALL on *.*. MySQL prints
 * dynamic privileges comma-separated without spaces, MariaDB with spaces (`CONNECTION ADMIN`).
 */
export function readOnlyBypassPrivileges(grants: readonly string[]): string[] {
  const bypass = new Set(['SUPER', 'CONNECTION ADMIN', 'READ ONLY ADMIN', 'ALL', 'ALL PRIVILEGES']);
  const found = new Set<string>();
  for (const g of grants) {
    const m = /^GRANT (.+?) ON \*\.\* TO /i.exec(g.trim());
    if (!m) continue;
    for (const p of (m[1] as string).split(/\s*,\s*/)) {
      const norm = p.trim().toUpperCase().replace(/_/g, ' ');
      if (bypass.has(norm)) found.add(p.trim().toUpperCase());
    }
  }
  return [...found];
}

/** Host entries of the listed user names that are not listed themselves: the rename would not stop them. */
export function unlistedHostEntries(listed: readonly { user: string; host: string }[], existing: readonly { user: string; host: string }[]): { user: string; host: string }[] {
  const key = (u: { user: string; host: string }) => `${u.user}@${u.host}`;
  const want = new Set(listed.map(key));
  return existing.filter((e) => !want.has(key(e)));
}

/**
 * The global privileges SHOW GRANTS lines give (`GRANT A, B ON *.* TO ...`), upper-case with
 * underscores (MariaDB's `READ ONLY ADMIN` as `READ_ONLY_ADMIN`). Roles are not expanded.
 */
export function grantedGlobalPrivileges(grants: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const g of grants) {
    const m = /^GRANT (.+?) ON \*\.\* TO /i.exec(g.trim());
    if (!m) continue;
    for (const p of (m[1] as string).split(/\s*,\s*/)) out.add(p.trim().toUpperCase().replace(/\s+/g, '_'));
  }
  return out;
}
