import { openSession } from '../../src/mysql/mysql2-session.js';
import { DowntimeMeter } from '../../src/failover/meter/downtime-meter.js';
import { readWriteAudit } from '../../src/failover/meter/write-audit-read.js';
import { badWrites, describeAudit, type WriteAudit } from '../../src/failover/meter/write-audit.js';
import { resolverLookup } from '../../src/failover/meter/name-lookups.js';
import type { Attempt } from '../../src/failover/meter/unavailability.js';
import { eventually, type SandboxFixture } from './sandbox-fixture.js';

export interface WriterRun<T> {
  result: T;
  /**
   * Acknowledged writes lost (not on the writer afterwards), split (not on a server that took a
   * later write) or on one side only (not on a server that took writes and follows the writer
   * now): the write audit's bad writes. Must be 0.
   */
  lost: number;
  /** The write audit itself (counts per server, the unchecked servers). */
  audit: WriteAudit;
  /** The audit in one line, for assertion messages. */
  auditLine: string;
  acknowledged: number;
  /** The longest write unavailability window the client saw. */
  maxWindowMs: number;
}

/**
 * Runs a client writing through a cluster's writer record (weighted resolver, new connection per
 * write, as an application would) while `work` moves things, keeps it writing until writes
 * succeed again after the move, and counts acknowledged writes missing from the writer.
 */
export async function withWriter<T>(fx: SandboxFixture, cluster: string, work: () => Promise<T>, o: { intervalMs?: number; onRecovered?: (a: Attempt) => void } = {}): Promise<WriterRun<T>> {
  const lookup = resolverLookup(fx.dnsEndpoint, fx.config.dns.zone, openSession);
  const client = `w-${Math.random().toString(36).slice(2, 8)}`;
  const meter = new DowntimeMeter({
    writerName: `${cluster}-w`,
    readerName: `${cluster}-r`,
    account: { user: 'app', password: fx.passwords.app, database: 'app', table: 'writes', port: 3306 },
    intervalMs: o.intervalMs ?? 20,
    timeouts: { connectTimeoutMs: 300, queryTimeoutMs: 500 },
    client,
    lookup,
    openSession,
    ...(o.onRecovered ? { onRecovered: o.onRecovered } : {}),
  });
  const stop = new AbortController();
  const running = meter.run(stop.signal);
  let result: T;
  try {
    await eventually('writes before the change', async () => meter.report().acknowledged.length >= 10);
    result = await work();
    const after = meter.report().acknowledged.length;
    await eventually('writes after the change', async () => meter.report().acknowledged.length >= after + 10, 15_000);
  } finally {
    stop.abort();
    await running;
  }
  const report = meter.report();
  // the writer of this moment, not the resolver's cached answer from before the move
  lookup.forget(`${cluster}-w`);
  const writer = await lookup.resolve(`${cluster}-w`);
  await lookup.close();
  const audit = await readWriteAudit({ openSession, endpoint: (host) => ({ host, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }), table: 'writes', client }, report.acks, writer);
  return { result, lost: badWrites(audit), audit, auditLine: describeAudit(audit), acknowledged: report.acknowledged.length, maxWindowMs: Math.max(0, ...report.writeWindows.map((w) => w.durationMs)) };
}
