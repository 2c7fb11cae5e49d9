import type { Command } from 'commander';
import { shardGroup } from './shard.js';
import { resolvePassword } from '../core/secrets.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { onlineSwitchover, type SwitchoverDeps } from '../shard/switchover/online-switchover.js';
import { recoverInterruptedSwitchover } from '../shard/switchover/recover-switchover.js';
import { switchoverRequestFor } from '../shard/switchover/switchover-from-config.js';
import { hostname, userInfo } from 'node:os';
import { printJson, type CliContext } from './context.js';
import { loadFleetContext } from './fleet-context.js';
import { renderTable } from './table.js';
import { deferStops } from './shard-apply.js';

/** `dbfleet shard switchover SHARD --to INSTANCE --config FILE`: the online master switch. */
export function registerShardSwitchover(program: Command, ctx: CliContext): void {
  const shard = shardGroup(program, 'switchover');
  shard
    .command('switchover <shard>')
    .description("move a shard's master online to one of its replicas (checks first; writes blocked for milliseconds)")
    .requiredOption('--to <instance>', 'the replica to promote')
    .requiredOption('--config <file>', 'fleet config (the shard is a cluster with listed instances)')
    .option('--json', 'print the report as one JSON document')
    .action(async (name: string, opts: { to: string; config: string; json?: boolean }) => {
      const fleet = await loadFleetContext(ctx, opts.config);
      const repl = fleet.config.replication ? await resolvePassword(fleet.config.replication, ctx.env, 'replication') : undefined;
      const { request: req, finishesPromotion } = await switchoverRequestFor(fleet.config, name, opts.to, { admin: fleet.mysqlPassword, repl: repl ?? '' }, connectAdmin);
      const deps: SwitchoverDeps = {
        connect: connectAdmin,
        openDns: () => openSession(fleet.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 }),
        logger: ctx.logger,
        actor: `cli:${userInfo().username}@${hostname()}`,
      };
      // Ctrl-C waits for the switchover to end: dying with writes blocked would leave them blocked
      const stops = deferStops(ctx);
      if (finishesPromotion) {
        ctx.logger.warn({ shard: name, from: req.master.id, to: req.candidate.id }, `${req.candidate.id} is the master of ${name} already but still replicates from ${req.master.id}: an earlier switchover stopped after its promotion; finishing its later steps`);
        const outcome = await recoverInterruptedSwitchover(req, deps, true).finally(stops.release);
        if (opts.json) printJson(ctx, { shard: name, from: req.master.id, to: req.candidate.id, finished: outcome });
        else ctx.stdout.write(`switchover of ${name}: ${req.master.id} -> ${req.candidate.id} had stopped after its promotion; its later steps: ${outcome}\n`);
        return;
      }
      const report = await onlineSwitchover(req, deps).finally(stops.release);
      if (opts.json) printJson(ctx, report);
      else {
        ctx.stdout.write(`switchover of ${report.shard}: ${report.from} -> ${report.to}; writes blocked ${report.writeBlockedMs} ms (until ${report.to} accepted writes), writer record moved at ${report.recordMovedMs} ms\n`);
        ctx.stdout.write(`${renderTable(['phase', 'ms', 'outcome', 'detail'], report.phases.map((p) => [p.phase, String(p.ms), p.outcome, p.detail ?? '']))}\n`);
      }
    });
}
