import type { Logger } from '../../core/logger.js';
import { directResolver, queryA } from '../../dns/dns-query.js';
import { createTableReader } from '../../dns/table-reader.js';
import { openSession } from '../../mysql/mysql2-session.js';
import type { Endpoint } from '../../mysql/admin.js';
import type { FailoverReport } from '../../sandbox/sandbox-failover.js';
import { DowntimeMeter } from '../meter/downtime-meter.js';
import { resolverLookup } from '../meter/name-lookups.js';
import type { Window } from '../meter/unavailability.js';
import { AnswerWatch } from './answer-watch.js';
import { readWriteAudit } from '../meter/write-audit-read.js';
import { badWrites, describeAudit } from '../meter/write-audit.js';
import { WritableWatch } from './writable-watch.js';

export interface DrillTarget {
  cluster: string;
  writerName: string;
  readerName: string;
  zone: string;
  dnsEndpoint: Endpoint;
  /** PowerDNS "host:port". */
  dnsServer: string;
  app: { user: string; password: string; database: string; table: string };
  /** Instance id -> address. */
  addresses: ReadonlyMap<string, string>;
  /** Runs one simulated failover (the sandbox's). */
  failover: () => Promise<FailoverReport>;
  /** Waits until the checker has settled the cluster (old writer back as a reader, weights restored). */
  settled: () => Promise<void>;
  logger: Logger;
}

export interface DrillResult {
  n: number;
  from: string;
  to: string;
  /** The cluster had no writable instance: writer read-only -> candidate accepts writes (the "instance's own" downtime). */
  instanceUnavailableMs: number;
  /** Candidate accepts writes (first seen writable by WritableWatch) -> PowerDNS answers it for the writer name. */
  newWriterToDnsMs: number | undefined;
  /** Candidate accepts writes -> a fresh read of the MyDNS tables (the weighted resolver without cache) returns it. */
  newWriterToResolverMs: number | undefined;
  /** Client-observed unavailability around this failover (downtime meter, via the weighted resolver). */
  writeDowntimeMs: number;
  readDowntimeMs: number;
}

export interface DrillSummary {
  results: DrillResult[];
  acknowledged: number;
  /** Acknowledged writes lost, split or on one side only (the write audit). */
  lostWrites: number;
  /** The write audit in one line: per server, lost, split, one-sided, unchecked. */
  writeAudit: string;
  intervalMs: number;
}

function stageAt(r: FailoverReport, stage: string): number {
  const s = r.timeline.find((x) => x.stage === stage);
  if (!s) throw new Error(`failover report has no ${stage} stage`);
  return Date.parse(s.at);
}

function downtimeIn(windows: readonly Window[], from: number, to: number): number {
  return windows.filter((w) => w.end >= from && w.start <= to).reduce((n, w) => n + w.durationMs, 0);
}

/**
 * Runs `count` failovers of one cluster with a writer and a reader running through the weighted
 * resolver the whole time, and measures each: the instance's own unavailability, how soon DNS and
 * the tables name the new writer, and what clients saw. Counts lost writes at the end.
 */
export async function runFailoverDrill(t: DrillTarget, count: number, options: { meterIntervalMs?: number; onResult?: (r: DrillResult) => void } = {}): Promise<DrillSummary> {
  const intervalMs = options.meterIntervalMs ?? 20;
  const lookup = resolverLookup(t.dnsEndpoint, t.zone, openSession);
  const client = `drill-${process.pid}-${Date.now()}`;
  const meter = new DowntimeMeter({
    writerName: t.writerName,
    readerName: t.readerName,
    account: { ...t.app, port: 3306 },
    intervalMs,
    timeouts: { connectTimeoutMs: 500, queryTimeoutMs: 1_000 },
    client,
    lookup,
    openSession,
  });
  const [dnsHost, dnsPort] = t.dnsServer.split(':');
  const dns = directResolver(dnsHost ?? '127.0.0.1', Number(dnsPort), 200);
  const fqdn = `${t.writerName}.${t.zone.replace(/\.$/, '')}`;
  const dnsWatch = new AnswerWatch(async () => (await queryA(dns, fqdn)).map((a) => a.address).join(','));
  const tables = createTableReader({ connect: () => openSession(t.dnsEndpoint, { connectTimeoutMs: 500, queryTimeoutMs: 500 }), zone: t.zone, timeoutMs: 500 });
  const tableWatch = new AnswerWatch(async () => (await tables.read(t.writerName)).entries.map((e) => e.address).join(','));
  const writable = new WritableWatch([...t.addresses.values()], { port: 3306, user: t.app.user, password: t.app.password }, openSession);

  const stop = new AbortController();
  const metering = meter.run(stop.signal);
  dnsWatch.start();
  tableWatch.start();
  writable.start();
  const results: DrillResult[] = [];
  try {
    await t.settled();
    for (let n = 1; n <= count; n++) {
      const report = await t.failover();
      await t.settled();
      const to = t.addresses.get(report.new_writer) ?? report.new_writer;
      const from = t.addresses.get(report.old_writer) ?? report.old_writer;
      const start = stageAt(report, 'writer-read-only');
      // seen from outside; the simulation's own stamp comes later (after it reset replication)
      const writableAt = Math.min(writable.firstWritableAt(to, start) ?? Infinity, stageAt(report, 'candidate-writer'));
      const dnsAt = dnsWatch.firstAt(to, start);
      const tableAt = tableWatch.firstAt(to, start);
      const m = meter.report();
      const end = Date.now();
      const r: DrillResult = {
        n,
        from,
        to,
        instanceUnavailableMs: writableAt - start,
        newWriterToDnsMs: dnsAt === undefined ? undefined : dnsAt - writableAt,
        newWriterToResolverMs: tableAt === undefined ? undefined : tableAt - writableAt,
        writeDowntimeMs: downtimeIn(m.writeWindows, start - intervalMs, end),
        readDowntimeMs: downtimeIn(m.readWindows, start - intervalMs, end),
      };
      results.push(r);
      options.onResult?.(r);
      t.logger.info({ drill: r }, `failover ${n}/${count} measured`);
    }
  } finally {
    stop.abort();
    await metering;
    await dnsWatch.stop();
    await tableWatch.stop();
    await writable.stop();
    await tables.close();
  }
  const report = meter.report();
  // the writer of this moment, not the resolver's cached answer
  lookup.forget(t.writerName);
  const writer = await lookup.resolve(t.writerName);
  await lookup.close();
  const audit = await readWriteAudit({ openSession, endpoint: (host) => ({ host, port: 3306, user: t.app.user, password: t.app.password, database: t.app.database }), table: t.app.table, client }, report.acks, writer);
  return { results, acknowledged: report.acknowledged.length, lostWrites: badWrites(audit), writeAudit: describeAudit(audit), intervalMs };
}
