import type { Command } from 'commander';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { listAllRecords } from '../dns/record-store.js';
import { describeChange } from '../dns/change-set.js';
import { LocalHost } from '../host/local-host.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { greetingCheck } from '../failover/probe/greeting-check.js';
import { readLease } from '../failover/lease/lease-store.js';
import { CheckerService, LEASE_NAME } from '../failover/service/checker-service.js';
import { timelineOffsets } from '../failover/service/failover-timeline.js';
import { ensureStatusTables, readStatuses, readTimelines } from '../failover/service/status-store.js';
import { printJson, type CliContext } from './context.js';
import { loadFleetContext, type FleetContext } from './fleet-context.js';
import { renderTable } from './table.js';

/** Graceful shutdown gets this long; then connections are dropped and the process exits anyway. */
const GRACEFUL_MS = 10_000;

function checkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function service(ctx: CliContext, fleet: FleetContext, dryRun = false): CheckerService {
  return new CheckerService({
    config: fleet.config,
    dnsEndpoint: fleet.dnsEndpoint,
    credentials: { user: fleet.mysqlUser, password: fleet.mysqlPassword },
    checkerId: checkerId(),
    logger: ctx.logger,
    host: new LocalHost(),
    connectors: { connectAdmin, openSession, greeting: greetingCheck },
    openSession,
    dryRun,
  });
}

export function registerCheckerCommands(program: Command, ctx: CliContext): void {
  const checker = program.command('checker').description('the failover checker: watches every instance and moves MyDNS records');

  checker
    .command('run')
    .description('run the checker service until SIGTERM/SIGINT (one of several; the lease holder acts)')
    .requiredOption('--config <file>', 'fleet config')
    .action(async (opts: { config: string }) => {
      const fleet = await loadFleetContext(ctx, opts.config);
      const svc = service(ctx, fleet);
      await svc.start();
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals): void => {
          if (stopping) {
            ctx.logger.warn({ signal }, 'second signal: stopping now');
            resolve();
            return;
          }
          stopping = true;
          ctx.logger.info({ signal }, 'signal received: draining');
          const forced = setTimeout(() => {
            ctx.logger.error({ graceMs: GRACEFUL_MS }, 'graceful shutdown took too long: stopping now');
            resolve();
          }, GRACEFUL_MS);
          void svc.stop({ release: true }).finally(() => {
            clearTimeout(forced);
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      ctx.exitCode = svc.state === 'failed' ? 1 : 0;
    });

  checker
    .command('once')
    .description('probe every instance once, decide, print the decisions and (unless --dry-run) apply them')
    .requiredOption('--config <file>', 'fleet config')
    .option('--dry-run', 'print what would change; write nothing')
    .option('--json', 'print one JSON document')
    .action(async (opts: { config: string; dryRun?: boolean; json?: boolean }) => {
      const fleet = await loadFleetContext(ctx, opts.config);
      const svc = service(ctx, fleet, opts.dryRun ?? false);
      const decisions = await svc.once();
      const applied = opts.dryRun ? [] : await svc.apply(decisions);
      await svc.stop({ release: true });
      if (opts.json) {
        printJson(ctx, { dry_run: opts.dryRun ?? false, decisions: decisions.map((d) => ({ cluster: d.cluster, situation: d.situation, readers: d.readers ?? null, change_set: d.changeSet, alerts: d.alerts, reasons: d.reasons, hold: d.hold ?? null })), applied });
      } else {
        for (const d of decisions) {
          ctx.stdout.write(`${d.cluster}: ${d.situation.kind}${d.readers ? ` / ${d.readers.kind}` : ''}\n`);
          for (const r of d.reasons) ctx.stdout.write(`  because ${r}\n`);
          for (const a of d.alerts) ctx.stdout.write(`  ALERT ${a.severity} ${a.code}: ${a.message}\n`);
          for (const c of d.changeSet) ctx.stdout.write(`  ${opts.dryRun ? 'would' : 'will'} ${describeChange(c)}\n`);
          if (d.changeSet.length === 0) ctx.stdout.write('  no change\n');
        }
        for (const a of applied) ctx.stdout.write(`${a.cluster}: ${a.applied ? 'applied' : a.error}\n`);
      }
      ctx.exitCode = applied.some((a) => !a.applied) ? 1 : 0;
    });

  checker
    .command('status')
    .description("each cluster's instances, roles and weights, the lease holder, and recent failovers")
    .requiredOption('--config <file>', 'fleet config')
    .option('--json', 'print one JSON document')
    .action(async (opts: { config: string; json?: boolean }) => {
      const fleet = await loadFleetContext(ctx, opts.config);
      const s = await openSession(fleet.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
      try {
        const q = { timeoutMs: 5_000 };
        await ensureStatusTables(s, q);
        const lease = await readLease(s, LEASE_NAME, q).catch(() => undefined);
        const statuses = await readStatuses(s, q);
        const records = await listAllRecords(s, fleet.zone, q);
        const timelines = await readTimelines(s, 10, q);
        const live = statuses.filter((x) => x.ageMs < 10_000 && x.state === 'running');
        const activeDoc = (live.find((x) => x.active) ?? live[0])?.doc as { clusters?: { cluster: string; situation: { kind: string } | null; hold: unknown; instances: { id: string; address: string; health: string; role: string | null; error: string | null }[] }[] } | undefined;
        const doc = {
          lease: lease && lease.remainingMs > 0 ? { holder: lease.holder, token: lease.token, remaining_ms: lease.remainingMs } : null,
          // A checker silent for 10 s is gone (killed, or its host is down), whatever its last row says.
          checkers: statuses.map((x) => ({ checker: x.checker, active: x.active && x.ageMs < 10_000, state: x.ageMs < 10_000 ? x.state : 'gone', last_seen_ms: x.ageMs })),
          clusters: fleet.config.clusters.map((c) => {
            const view = activeDoc?.clusters?.find((x) => x.cluster === c.name);
            const writer = records.find((r) => r.name === c.writer_record);
            const reader = records.find((r) => r.name === c.reader_record);
            return {
              name: c.name,
              situation: view?.situation?.kind ?? null,
              hold: view?.hold ?? null,
              writer_record: writer?.records.map((r) => r.address) ?? [],
              instances: (c.instances ?? []).map((i) => {
                const seen = view?.instances.find((x) => x.id === i.id);
                return { id: i.id, address: i.host, health: seen?.health ?? null, role: seen?.role ?? null, reader_weight: reader?.records.find((r) => r.address === i.host)?.weight ?? null, writer: writer?.records[0]?.address === i.host, error: seen?.error ?? null };
              }),
            };
          }),
          recent_failovers: timelines.map((t) => ({ ...t, offsets_ms: timelineOffsets(t) })),
        };
        if (opts.json) printJson(ctx, doc);
        else {
          ctx.stdout.write(`lease: ${doc.lease ? `${doc.lease.holder} (token ${doc.lease.token}, ${doc.lease.remaining_ms} ms left)` : 'nobody holds it'}\n`);
          ctx.stdout.write(`checkers: ${doc.checkers.map((c) => `${c.checker} ${c.state}${c.active ? ' ACTIVE' : ''} (seen ${c.last_seen_ms} ms ago)`).join('; ') || 'none has reported'}\n\n`);
          const rows = doc.clusters.flatMap((c) => c.instances.map((i) => [c.name, c.situation ?? '-', i.id, i.address, i.health ?? '-', i.role ?? '-', i.writer ? 'W' : '', i.reader_weight === null ? '-' : String(i.reader_weight)]));
          ctx.stdout.write(`${renderTable(['cluster', 'situation', 'instance', 'address', 'health', 'role', 'writer', 'reader weight'], rows)}\n`);
          for (const c of doc.clusters) if (c.hold) ctx.stdout.write(`hold on ${c.name}: ${JSON.stringify(c.hold)}\n`);
          if (doc.recent_failovers.length > 0) {
            ctx.stdout.write('\nrecent failovers:\n');
            for (const t of doc.recent_failovers) ctx.stdout.write(`  ${t.recorded_at} ${t.cluster} ${t.from} -> ${t.to}  ${Object.entries(t.offsets_ms).map(([k, v]) => `${k}+${v}ms`).join(' ')}\n`);
          }
        }
      } finally {
        await s.close();
      }
    });
}
