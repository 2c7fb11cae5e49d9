import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';
import { AnswerWatch } from './answer-watch.js';

const TIMEOUTS: Timeouts = { connectTimeoutMs: 300, queryTimeoutMs: 300 };

/**
 * Watches when each instance of a cluster accepts writes, seen from outside: every few ms, on one
 * connection per instance (reconnected after any failure), `SELECT @@GLOBAL.read_only` (the same
 * on every engine; the application account is enough). The drill times "new writer -> DNS" from
 * the moment the candidate was first seen writable, not from when the simulation logged it: the
 * candidate is writable as soon as it answers, before the simulation has reset its replication
 * and stamped its stage (on MySQL that is tens of ms, and DNS could answer "before" it).
 */
export class WritableWatch {
  private readonly watches = new Map<string, { watch: AnswerWatch; close: () => void }>();

  constructor(
    addresses: readonly string[],
    account: Omit<Endpoint, 'host'>,
    openSession: (e: Endpoint, t: Timeouts) => Promise<SqlSession>,
    everyMs = 5,
  ) {
    for (const host of new Set(addresses)) {
      let session: SqlSession | undefined;
      const lookup = async (): Promise<string> => {
        try {
          session ??= await openSession({ ...account, host }, TIMEOUTS);
          const [row] = await session.query('SELECT @@GLOBAL.read_only AS ro', [], { timeoutMs: TIMEOUTS.queryTimeoutMs });
          return Number(row?.['ro']) === 0 ? 'writable' : 'read-only';
        } catch (e) {
          session?.destroy();
          session = undefined;
          throw e;
        }
      };
      this.watches.set(host, { watch: new AnswerWatch(lookup, everyMs), close: () => session?.destroy() });
    }
  }

  start(): void {
    for (const w of this.watches.values()) w.watch.start();
  }

  /** When `address` was first seen accepting writes at or after `since` (epoch ms). */
  firstWritableAt(address: string, since: number): number | undefined {
    return this.watches.get(address)?.watch.firstAt('writable', since);
  }

  async stop(): Promise<void> {
    for (const w of this.watches.values()) {
      await w.watch.stop();
      w.close();
    }
  }
}
