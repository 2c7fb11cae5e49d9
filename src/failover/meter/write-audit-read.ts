import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';
import { auditWrites, type Ack, type Presence, type WriteAudit } from './write-audit.js';

const IDENT = /^[A-Za-z0-9_]{1,64}$/;

export interface AuditRead {
  openSession: (e: Endpoint, t: Timeouts) => Promise<SqlSession>;
  /** The meter's account on a server (by address). */
  endpoint: (address: string) => Endpoint;
  table: string;
  client: string;
  /** How long a server other than the final writer may take to receive its last write (ms). Default 3000. */
  followWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Reads the client's rows on the final writer and on every server that acknowledged a write, and
 * judges them (auditWrites). A server other than the final writer is read again until it holds
 * the final writer's last acknowledged write (replication may still be delivering it), at most
 * followWaitMs; one that never does is reported as not following, not as clean.
 */
export async function readWriteAudit(o: AuditRead, acks: readonly Ack[], finalWriter: string): Promise<WriteAudit> {
  if (!IDENT.test(o.table)) throw new Error(`table must be a plain identifier, got ${JSON.stringify(o.table)}`);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const read = async (address: string): Promise<Presence> => {
    let s: SqlSession | undefined;
    try {
      s = await o.openSession(o.endpoint(address), { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
      return new Set((await s.query(`SELECT seq FROM \`${o.table}\` WHERE client = ?`, [o.client])).map((r) => Number(r['seq'])));
    } catch {
      return 'unreachable';
    } finally {
      await s?.close().catch(() => undefined);
    }
  };
  const presence = new Map<string, Presence>();
  const onWriter = await read(finalWriter);
  presence.set(finalWriter, onWriter);
  const acked = new Set(acks.map((a) => a.seq));
  const last = onWriter === 'unreachable' ? 0 : Math.max(0, ...[...onWriter].filter((s) => acked.has(s)));
  const deadline = performance.now() + (o.followWaitMs ?? 3_000);
  for (const server of new Set(acks.map((a) => a.by))) {
    if (server === finalWriter) continue;
    let p = await read(server);
    while (p !== 'unreachable' && last > 0 && !p.has(last) && performance.now() < deadline) {
      await sleep(100);
      p = await read(server);
    }
    presence.set(server, p);
  }
  return auditWrites(acks, presence, finalWriter);
}
