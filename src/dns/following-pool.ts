import mysql from 'mysql2/promise';
import { systemClock, type Clock } from '../core/clock.js';
import { RemoteError, TimeoutError } from '../core/errors.js';
import type { WeightedResolver } from './weighted-resolver.js';

/**
 * A small mysql2 connection pool whose connections follow a MyDNS name. Every checkout resolves
 * the name (the resolver caches for the record's TTL, so this re-reads MyDNS only after expiry);
 * when the answer no longer contains an address, idle connections to it are closed at once and
 * busy ones are closed when released. New connections go to the address picked by weight.
 * Pools of other tools stay pinned to a demoted writer after a failover; this one cannot.
 */
export interface FollowingPoolOptions {
  resolver: WeightedResolver;
  name: string;
  port?: number;
  user: string;
  password?: string | undefined;
  database?: string | undefined;
  /** Open connections, busy and idle, across all addresses (default 10). */
  connectionLimit?: number;
  /** Idle connections kept per address (default 4). */
  maxIdle?: number;
  connectTimeoutMs?: number;
  /** Default per-query deadline for pool.query (default 5000 ms). */
  queryTimeoutMs?: number;
  /** How long a checkout may wait for a free slot at the connection limit (default 5000 ms). */
  acquireTimeoutMs?: number;
  clock?: Clock;
}

/** A connection checked out of the pool. Call release() when done (or destroy() if it is broken). */
export interface FollowedConnection {
  readonly address: string;
  readonly connection: mysql.Connection;
  release(): void;
  destroy(): void;
}

export interface FollowingPool {
  getConnection(): Promise<FollowedConnection>;
  /** Checkout, one query with a deadline, release. */
  query<T = unknown>(sql: string, params?: readonly unknown[], options?: { timeoutMs?: number }): Promise<T>;
  /** Connections per address: idle and busy. */
  stats(): Record<string, { idle: number; busy: number }>;
  end(): Promise<void>;
}

interface Slot {
  address: string;
  connection: mysql.Connection;
  busy: boolean;
  /** The address left the answer while busy: close on release instead of keeping. */
  retired: boolean;
}

export function createFollowingPool(o: FollowingPoolOptions): FollowingPool {
  const clock = o.clock ?? systemClock;
  const limit = o.connectionLimit ?? 10;
  const maxIdle = o.maxIdle ?? 4;
  const slots = new Set<Slot>();
  const waiters: (() => void)[] = [];
  let opening = 0;
  let ended = false;

  const closeSlot = (s: Slot): void => {
    slots.delete(s);
    s.connection.destroy();
    waiters.shift()?.();
  };

  /** Closes idle connections to addresses the name no longer answers; marks busy ones to close on release. */
  const follow = (current: ReadonlySet<string>): void => {
    for (const s of [...slots]) {
      if (current.has(s.address)) continue;
      if (s.busy) s.retired = true;
      else closeSlot(s);
    }
  };

  const waitForRoom = async (): Promise<void> => {
    const deadline = clock.monotonic() + (o.acquireTimeoutMs ?? 5_000);
    while (slots.size + opening >= limit) {
      const idle = [...slots].find((s) => !s.busy);
      if (idle) {
        // room is taken by an idle connection to another address: give it up for this one
        closeSlot(idle);
        continue;
      }
      const left = deadline - clock.monotonic();
      if (left <= 0) throw new TimeoutError(`no free connection for ${o.name} within ${o.acquireTimeoutMs ?? 5_000} ms (limit ${limit})`, { next: 'release connections, or raise connectionLimit' });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const lend = (s: Slot): FollowedConnection => {
    s.busy = true;
    let done = false;
    return {
      address: s.address,
      connection: s.connection,
      release: () => {
        if (done) return;
        done = true;
        s.busy = false;
        const idleHere = [...slots].filter((x) => !x.busy && x.address === s.address).length;
        if (s.retired || ended || idleHere > maxIdle) closeSlot(s);
        else waiters.shift()?.();
      },
      destroy: () => {
        if (done) return;
        done = true;
        closeSlot(s);
      },
    };
  };

  const pool: FollowingPool = {
    async getConnection(): Promise<FollowedConnection> {
      if (ended) throw new RemoteError('POOL_ENDED', `the pool for ${o.name} was ended`);
      const r = await o.resolver.resolve(o.name);
      follow(new Set(r.entries.map((e) => e.address)));
      const idle = [...slots].find((s) => !s.busy && !s.retired && s.address === r.address);
      if (idle) return lend(idle);
      await waitForRoom();
      opening += 1;
      try {
        const connection = await mysql.createConnection({
          host: r.address,
          port: o.port ?? 3306,
          user: o.user,
          password: o.password,
          database: o.database,
          connectTimeout: o.connectTimeoutMs ?? 1_000,
        });
        // a connection that dies while idle must not crash the process; it is found broken on use
        connection.on('error', () => undefined);
        const s: Slot = { address: r.address, connection, busy: false, retired: false };
        slots.add(s);
        return lend(s);
      } catch (e) {
        const err = e as { code?: string; message?: string };
        throw new RemoteError('POOL_CONNECT', `connecting to ${r.address}:${o.port ?? 3306} for ${o.name}: ${err.code ?? err.message ?? String(e)}`, { retryable: true });
      } finally {
        opening -= 1;
      }
    },

    async query<T>(sql: string, params: readonly unknown[] = [], options: { timeoutMs?: number } = {}): Promise<T> {
      const c = await pool.getConnection();
      try {
        const [rows] = await c.connection.query({ sql, values: [...params], timeout: options.timeoutMs ?? o.queryTimeoutMs ?? 5_000 });
        c.release();
        return rows as T;
      } catch (e) {
        // after an error or timeout the protocol state is unknown: never reuse this connection
        c.destroy();
        throw e;
      }
    },

    stats(): Record<string, { idle: number; busy: number }> {
      const out: Record<string, { idle: number; busy: number }> = {};
      for (const s of slots) {
        const e = (out[s.address] ??= { idle: 0, busy: 0 });
        if (s.busy) e.busy += 1;
        else e.idle += 1;
      }
      return out;
    },

    async end(): Promise<void> {
      ended = true;
      for (const s of [...slots]) if (!s.busy) closeSlot(s);
      for (const w of waiters.splice(0)) w();
    },
  };
  return pool;
}
