import type { Command } from 'commander';
import { shardGroup } from './shard.js';
import { SafetyRefusal, UsageError } from '../core/errors.js';
import { FileJournal } from '../core/phases/journal.js';
import { runPhases } from '../core/phases/phase-runner.js';
import { ApplyHosts } from '../shard/apply/apply-hosts.js';
import { retirePhase } from '../shard/apply/phase-retire.js';
import { retireStatus, type RetireStatus } from '../shard/apply/retire-plan.js';
import { printJson, type CliContext } from './context.js';
import { loadFleetContext } from './fleet-context.js';
import { applyDeps, applySettings, loadPlan } from './shard-apply.js';
import { renderTable } from './table.js';

function row(s: RetireStatus): string[] {
  const c = s.candidate;
  const detail = s.status === 'ready' ? `switched ${s.switchedAt}` : s.status === 'observing' ? `observing until ${s.readyAt}` : `not switched yet: ${s.pending.join(', ')}`;
  return [c.server.id, `${c.server.host}:${c.server.port}`, c.shards.join(', '), s.status, detail];
}

/**
 * `dbfleet shard retire PLAN --config FILE (--dry-run | --confirm)`: shuts down the old servers a
 * plan frees, once every shard they held was switched over at least the observation period ago.
 * Without --confirm nothing is touched.
 */
export function registerShardRetire(program: Command, ctx: CliContext): void {
  const shard = shardGroup(program, 'retire');
  shard
    .command('retire <plan>')
    .description('after the observation period, take the old servers out of DNS and replication and shut them down (needs --confirm)')
    .requiredOption('--config <file>', 'the fleet config apply ran with')
    .option('--journal <file>', "the apply run's journal (default: <plan>.journal)")
    .option('--dry-run', 'list the old servers and whether each may go now; change nothing')
    .option('--confirm', 'really retire the servers that are ready')
    .option('--json', 'print the outcome as one JSON document')
    .action(async (planFile: string, opts: { config: string; journal?: string; dryRun?: boolean; confirm?: boolean; json?: boolean }) => {
      const fleet = await loadFleetContext(ctx, opts.config);
      const loaded = await loadPlan(planFile, fleet);
      const settings = await applySettings(ctx, fleet);
      const entries = await new FileJournal(opts.journal ?? `${planFile}.journal`).read();
      const statuses = retireStatus(loaded.moves, entries, new Date(), settings.section.observation_minutes);
      const table = renderTable(['server', 'address', 'held', 'status', 'detail'], statuses.map(row));
      if (opts.dryRun || !opts.confirm) {
        if (opts.json) printJson(ctx, { dry_run: true, servers: statuses });
        else ctx.stdout.write(`old servers of ${planFile} (observation period ${settings.section.observation_minutes} min)\n${table}\n`);
        if (!opts.dryRun) throw new UsageError('retire shuts servers down: pass --confirm to do it (or --dry-run to only look)');
        return;
      }
      const ready = statuses.filter((s): s is Extract<RetireStatus, { status: 'ready' }> => s.status === 'ready');
      if (ready.length === 0) {
        ctx.stdout.write(`${table}\n`);
        throw new SafetyRefusal('RETIRE_NOT_READY', 'no old server is ready to retire: every one is still observed or its shard not switched over', { next: 'wait for the observation period (consolidation.observation_minutes), or finish apply first' });
      }
      const hosts = new ApplyHosts(settings.section, ctx.logger);
      try {
        const deps = applyDeps(ctx, fleet, hosts);
        const journal = new FileJournal(`${planFile}.retire.journal`);
        const out = await runPhases(
          ready.map((r) => retirePhase(r.candidate, deps, settings)),
          { journal, initialState: { plan_sha256: loaded.sha256 }, resume: true, logger: ctx.logger },
        );
        if (opts.json) printJson(ctx, { retired: out.ran, already: out.skipped, waiting: statuses.filter((s) => s.status !== 'ready') });
        else {
          ctx.stdout.write(`${table}\nretired ${out.ran.length} server${out.ran.length === 1 ? '' : 's'} (${out.skipped.length} already); their machines can be stopped now\n`);
        }
      } finally {
        await hosts.close();
      }
    });
}
