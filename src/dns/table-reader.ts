import type { SqlSession } from '../mysql/admin.js';
import { UnknownNameError } from './dns-errors.js';
import { normalizeZone, relativeName } from './dns-names.js';
import type { Answer } from './answer-cache.js';

/**
 * Reads a name's answer straight from the MyDNS tables, as applications in the seed do. Keeps one
 * session and opens a new one after any error (a stopped or restarted database breaks it).
 */
export interface NameSource {
  read(name: string): Promise<Answer>;
  close(): Promise<void>;
}

export interface TableReaderOptions {
  /** Opens a session to the MyDNS database (e.g. openSession from src/mysql with short timeouts). */
  connect: () => Promise<SqlSession>;
  zone: string;
  /** Per-query deadline (default 1000 ms: a resolver must not hang an application). */
  timeoutMs?: number;
}

export function createTableReader(o: TableReaderOptions): NameSource {
  const zone = normalizeZone(o.zone);
  let session: SqlSession | undefined;
  let opening: Promise<SqlSession> | undefined;

  const get = async (): Promise<SqlSession> => {
    if (session) return session;
    opening ??= o.connect().finally(() => {
      opening = undefined;
    });
    session = await opening;
    return session;
  };

  return {
    async read(name: string): Promise<Answer> {
      const rel = relativeName(name, zone);
      const s = await get();
      try {
        const rows = await s.query(
          "SELECT r.data, r.weight, r.ttl FROM rr r JOIN soa s ON s.id = r.zone WHERE s.origin IN (?, ?) AND s.active <> 'N' AND r.name IN (?, ?) AND r.type IN ('A', 'AAAA') AND r.active <> 'N' ORDER BY r.data",
          [zone, zone.slice(0, -1), rel, `${rel}.${zone}`],
          { timeoutMs: o.timeoutMs ?? 1_000 },
        );
        if (rows.length === 0) throw new UnknownNameError(`${rel}.${zone} has no address records`, { next: 'check the name with: dbfleet dns show' });
        const entries = rows.map((r) => ({ address: String(r['data']).trim(), weight: Number(r['weight']) })).filter((e) => e.weight > 0);
        return { entries, ttl: Math.min(...rows.map((r) => Number(r['ttl']))) };
      } catch (e) {
        if (!(e instanceof UnknownNameError)) {
          if (session === s) session = undefined;
          s.destroy();
        }
        throw e;
      }
    },
    async close(): Promise<void> {
      const s = session;
      session = undefined;
      await s?.close();
    },
  };
}
