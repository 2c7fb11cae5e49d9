import type { Command } from 'commander';
import { shardGroup } from './shard.js';
import { resolvePassword } from '../core/secrets.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { onlineSwitchover } from '../shard/switchover/online-switchover.js';
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
      const req = await switchoverRequestFor(fleet.config, name, opts.to, { admin: fleet.mysqlPassword, repl: repl ?? '' }, connectAdmin);
      // Ctrl-C waits for the switchover to end: dying with writes blocked would leave them blocked
      const stops = deferStops(ctx);
      const report = await onlineSwitchover(req, {
        connect: connectAdmin,
        openDns: () => openSession(fleet.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 }),
        logger: ctx.logger,
        actor: `cli:${userInfo().username}@${hostname()}`,
      }).finally(stops.release);
      if (opts.json) printJson(ctx, report);
      else {
        ctx.stdout.write(`switchover of ${report.shard}: ${report.from} -> ${report.to}; writes blocked ${report.writeBlockedMs} ms\n`);
        ctx.stdout.write(`${renderTable(['phase', 'ms', 'outcome', 'detail'], report.phases.map((p) => [p.phase, String(p.ms), p.outcome, p.detail ?? '']))}\n`);
      }
    });
}
