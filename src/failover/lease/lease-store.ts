import type { QueryOptions, SqlSession } from '../../mysql/admin.js';
import { inTransaction } from '../../dns/sql-transaction.js';
import { LeaseLostError } from './lease-errors.js';

/**
 * The checkers' lease, kept in the MyDNS database beside the records it guards. All times are the
 * database server's (NOW(6)), so clock skew between checker hosts cannot give two holders.
 * A holder's `token` grows by one on every takeover; DNS writes are fenced by (holder, token,
 * unexpired) checked under a row lock in the same transaction as the write.
 */
export const LEASE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS dbfleet_lease (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  holder VARCHAR(190) NOT NULL,
  token BIGINT UNSIGNED NOT NULL,
  acquired_at DATETIME(6) NOT NULL,
  renewed_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB`;

export interface LeaseView {
  name: string;
  holder: string;
  token: number;
  /** Time left on the lease by the database clock; <= 0 when expired. */
  remainingMs: number;
}

export interface LeaseOutcome {
  held: boolean;
  token: number;
  /** Who holds it now (this checker when held). */
  holder: string;
  remainingMs: number;
  /** True when this call took the lease over from someone else or from nobody. */
  acquired: boolean;
  previousHolder: string;
}

export async function ensureLeaseTable(session: SqlSession, q: QueryOptions): Promise<void> {
  await session.query(LEASE_TABLE_SQL, [], q);
}

function view(row: Record<string, unknown> | undefined, name: string): LeaseView | undefined {
  if (!row) return undefined;
  return { name, holder: String(row.holder ?? ''), token: Number(row.token ?? 0), remainingMs: Math.round(Number(row.remaining_us ?? 0) / 1000) };
}

const SELECT_LEASE = 'SELECT holder, token, TIMESTAMPDIFF(MICROSECOND, NOW(6), expires_at) AS remaining_us FROM dbfleet_lease WHERE name = ?';

export async function readLease(session: SqlSession, name: string, q: QueryOptions): Promise<LeaseView | undefined> {
  return view((await session.query(SELECT_LEASE, [name], q))[0], name);
}

/**
 * Acquires or renews the lease for `holder` in one transaction: renew when it is ours and live,
 * take it over (token + 1) when it has expired, otherwise report who holds it.
 */
export async function acquireOrRenew(session: SqlSession, name: string, holder: string, ttlMs: number, q: QueryOptions & { timeoutMs: number }): Promise<LeaseOutcome> {
  const ttlUs = Math.round(ttlMs * 1000);
  await session.query(
    "INSERT IGNORE INTO dbfleet_lease (name, holder, token, acquired_at, renewed_at, expires_at) VALUES (?, '', 0, NOW(6), NOW(6), NOW(6) - INTERVAL 1 SECOND)",
    [name],
    q,
  );
  return inTransaction(session, { timeoutMs: q.timeoutMs, lockWaitSeconds: 1 }, async (tx) => {
    const current = view((await tx.query(`${SELECT_LEASE} FOR UPDATE`, [name], q))[0], name);
    if (!current) throw new Error(`lease row ${name} vanished`);
    const live = current.remainingMs > 0;
    if (current.holder === holder && live) {
      await tx.query('UPDATE dbfleet_lease SET renewed_at = NOW(6), expires_at = NOW(6) + INTERVAL ? MICROSECOND WHERE name = ?', [ttlUs, name], q);
      return { held: true, token: current.token, holder, remainingMs: ttlMs, acquired: false, previousHolder: holder };
    }
    if (!live) {
      await tx.query(
        'UPDATE dbfleet_lease SET holder = ?, token = token + 1, acquired_at = NOW(6), renewed_at = NOW(6), expires_at = NOW(6) + INTERVAL ? MICROSECOND WHERE name = ?',
        [holder, ttlUs, name],
        q,
      );
      return { held: true, token: current.token + 1, holder, remainingMs: ttlMs, acquired: true, previousHolder: current.holder };
    }
    return { held: false, token: current.token, holder: current.holder, remainingMs: current.remainingMs, acquired: false, previousHolder: current.holder };
  });
}

/** Gives the lease up at a graceful shutdown, so a standby takes over at once. */
export async function releaseLease(session: SqlSession, name: string, holder: string, token: number, q: QueryOptions): Promise<void> {
  await session.query('UPDATE dbfleet_lease SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE name = ? AND holder = ? AND token = ?', [name, holder, token], q);
}

/**
 * The fence for a DNS write transaction: proves, under a lock on the lease row, that `holder`
 * still holds lease `token` and it has not expired. Throws LeaseLostError otherwise, which rolls
 * the write back. A checker that was paused past its lease, or replaced, can therefore never write.
 */
export function leaseFence(name: string, holder: string, token: number, q: QueryOptions): (tx: SqlSession) => Promise<void> {
  return async (tx) => {
    const rows = await tx.query(`${SELECT_LEASE} FOR UPDATE`, [name], q);
    const current = view(rows[0], name);
    if (!current || current.holder !== holder || current.token !== token || current.remainingMs <= 0) {
      throw new LeaseLostError(
        current
          ? `lease ${name} token ${token} is no longer held by ${holder} (holder ${current.holder || 'none'}, token ${current.token}, ${current.remainingMs > 0 ? `${current.remainingMs} ms left` : 'expired'})`
          : `lease ${name} does not exist`,
      );
    }
  };
}
