import type { Command } from 'commander';
import { ConfigError, UsageError } from '../core/errors.js';
import { resolvePassword } from '../core/secrets.js';
import { openSession } from '../mysql/mysql2-session.js';
import { stampFirstWrite } from '../failover/meter/first-write-stamp.js';
import { readWriteAudit } from '../failover/meter/write-audit-read.js';
import { badWrites, describeAudit, type WriteAudit } from '../failover/meter/write-audit.js';
import { DowntimeMeter, type MeterReport } from '../failover/meter/downtime-meter.js';
import { dnsLookup, resolverLookup } from '../failover/meter/name-lookups.js';
import type { Window } from '../failover/meter/unavailability.js';
import { printJson, type CliContext } from './context.js';
import { loadFleetContext, requireCluster } from './fleet-context.js';
import { intOption } from './parse.js';
import { renderTable } from './table.js';

function windowRows(ws: readonly Window[]): string[][] {
  return ws.map((w) => [w.kind, new Date(w.start).toISOString(), new Date(w.end).toISOString(), `${w.durationMs} ms${w.open ? ' (still down)' : ''}`, String(w.failedAttempts), w.errors.join('; ')]);
}

export function renderMeterReport(r: MeterReport, audit: WriteAudit | undefined): string {
  const rows = [...windowRows(r.writeWindows), ...windowRows(r.readWindows)];
  const table = rows.length === 0 ? 'no unavailability\n' : `${renderTable(['kind', 'start', 'end', 'duration', 'failed', 'errors'], rows)}\n`;
  const writes = audit ? describeAudit(audit) : 'nothing acknowledged';
  return `${table}writes: ${r.writes.length} attempts, ${r.acknowledged.length} acknowledged; ${writes}\nreads: ${r.reads.length} attempts\n`;
}

/** `dbfleet probe`: the downtime meter, like the seed's measurement loops. */
export function registerProbeCommand(program: Command, ctx: CliContext): void {
  program
    .command('probe')
    .description("measure client-side downtime: write through the writer record and read through the reader record every interval, print each unavailability window")
    .requiredOption('--config <file>', 'fleet config (its probe section names the account and table)')
    .requiredOption('--cluster <name>', 'the cluster whose records to follow')
    .option('--interval-ms <ms>', 'time between attempts', intOption('--interval-ms', 10, 60_000), 100)
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', intOption('--duration', 1, 86_400))
    .option('--via <how>', 'resolve names with the weighted resolver over the MyDNS tables, or with DNS queries to PowerDNS', 'resolver')
    .option('--json', 'print the report as one JSON document')
    .action(async (opts: { config: string; cluster: string; intervalMs: number; duration?: number; via: string; json?: boolean }) => {
      if (opts.via !== 'resolver' && opts.via !== 'dns') throw new UsageError(`--via must be resolver or dns, got ${JSON.stringify(opts.via)}`);
      const fleet = await loadFleetContext(ctx, opts.config);
      const cluster = requireCluster(fleet, opts.cluster);
      const probe = fleet.config.probe;
      if (!probe) throw new ConfigError(`${opts.config} has no probe section (user, password_file, database, table)`, { next: 'add a probe section; the sandbox writes one' });
      if (opts.via === 'dns' && !fleet.dnsServer) throw new ConfigError(`${opts.config}: dns.server is not set, so --via dns has no server to ask`);
      const password = await resolvePassword(probe, ctx.env, 'probe');
      const lookup = opts.via === 'dns' ? dnsLookup(fleet.dnsServer as string, fleet.zone) : resolverLookup(fleet.dnsEndpoint, fleet.zone, openSession);
      const client = `probe-${process.pid}-${Date.now()}`;
      const meter = new DowntimeMeter({
        writerName: cluster.writer_record,
        readerName: cluster.reader_record,
        account: { user: probe.user, password, database: probe.database, table: probe.table, port: cluster.instances?.[0]?.port ?? 3306 },
        intervalMs: opts.intervalMs,
        timeouts: { connectTimeoutMs: 1_000, queryTimeoutMs: 1_000 },
        client,
        lookup,
        openSession,
        onAttempt: (a) => {
          if (!a.ok) ctx.logger.warn({ kind: a.kind, address: a.address, error: a.error }, 'probe attempt failed');
        },
        // The first write after a failover completes the checker's timeline of it.
        onRecovered: (a) => {
          if (a.kind !== 'write' || !a.address) return;
          void stampFirstWrite(openSession, fleet.dnsEndpoint, cluster.name, a.address, a.end).then(
            (stamped) => ctx.logger.info({ cluster: cluster.name, address: a.address, stamped }, 'writes succeed again'),
            (e: unknown) => ctx.logger.warn({ err: String(e) }, 'could not stamp the first write into the failover timeline'),
          );
        },
      });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const timer = opts.duration ? setTimeout(() => stop.abort(), opts.duration * 1000) : undefined;
      const report = await meter.run(stop.signal);
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      const port = cluster.instances?.[0]?.port ?? 3306;
      // the writer of this moment, not a cached answer from before the last move
      lookup.forget(cluster.writer_record);
      const writer = report.acknowledged.length === 0 ? undefined : await lookup.resolve(cluster.writer_record);
      // every server that acknowledged a write is read: a write on one of them only is a split, not a success
      const audit = writer === undefined ? undefined : await readWriteAudit({ openSession, endpoint: (host) => ({ host, port, user: probe.user, password, database: probe.database }), table: probe.table, client }, report.acks, writer);
      if ('close' in lookup && typeof lookup.close === 'function') await lookup.close();
      const bad = audit ? badWrites(audit) : 0;
      if (opts.json) printJson(ctx, { cluster: cluster.name, via: opts.via, interval_ms: opts.intervalMs, write_windows: report.writeWindows, read_windows: report.readWindows, writes: report.writes.length, reads: report.reads.length, acknowledged: report.acknowledged.length, lost_writes: audit?.lost.length ?? 0, split_writes: audit?.split.length ?? 0, one_sided_writes: audit?.oneSided.length ?? 0, acknowledged_by: audit?.acknowledgedBy ?? {}, final_writer: writer ?? null, unchecked: audit?.unchecked ?? [] });
      else ctx.stdout.write(renderMeterReport(report, audit));
      ctx.exitCode = bad === 0 ? 0 : 1;
    });
}
