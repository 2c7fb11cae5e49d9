import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';
import { recordFirstWrite } from '../service/status-store.js';

/**
 * Stamps a client's first successful write after a failover into the checker's stored timeline.
 * The checker stores the timeline once DNS answers the new writer, which can be a few
 * milliseconds after a fast client already wrote: retry briefly. Resolves false when no timeline
 * for that cluster and address showed up (no checker ran, or it was not a failover).
 */
export async function stampFirstWrite(
  openSession: (e: Endpoint, t: Timeouts) => Promise<SqlSession>,
  dns: Endpoint,
  cluster: string,
  address: string,
  at: number,
  waitMs = 5_000,
): Promise<boolean> {
  const s = await openSession(dns, { connectTimeoutMs: 1_000, queryTimeoutMs: 2_000 });
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (await recordFirstWrite(s, cluster, address, at, { timeoutMs: 2_000 })) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await s.close();
  }
}
