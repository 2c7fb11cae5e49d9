import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { BugError, UsageError } from '../core/errors.js';
import { DIMS, loadInventory, planConsolidation, type MoveStep, type ShardMove, type ShardPlan } from '../shard/plan/index.js';
import type { CliContext } from './context.js';
import { intOption } from './parse.js';
import { renderTable } from './table.js';

const pct = (f: number): string => `${(f * 100).toFixed(1)} %`;

function describeStep(s: MoveStep): string {
  switch (s.step) {
    case 'provision':
      return `provision ${s.processes.map((p) => `${p.host} ${p.ip}:${p.port} (${p.role}, server_id ${p.server_id})`).join(', ')}`;
    case 'seed':
      return `seed from ${s.source}`;
    case 'catch_up':
      return `catch up from the current master ${s.source_master}`;
    case 'verify':
      return `verify checksums against ${s.reference} at one master position`;
    case 'switchover':
      return `switch the master from ${s.from} to ${s.to.host} ${s.to.ip}:${s.to.port}`;
    case 'retire':
      return `retire ${s.hosts.join(', ')} (after the observation period, on confirmation)`;
  }
}

function describeMove(m: ShardMove): string {
  return [`move ${m.order} (wave ${m.wave}): ${m.shard}`, ...m.steps.map((s, i) => `  ${i + 1}. ${describeStep(s)}`)].join('\n');
}

/** The operator's view of a plan: the summary, the host types weighed, the first hosts and move. */
export function renderPlanSummary(plan: ShardPlan, showHosts = 3): string {
  const s = plan.summary;
  const cost = s.hourly_cost_after === undefined ? [] : [['hourly cost after', `${s.hourly_cost_after.toFixed(2)} (${plan.host_type.hourly_cost} per host)`]];
  const lines = [
    ['shards', `${s.shards} x ${s.copies_per_shard} copies = ${s.processes} mysqld`],
    ['host type', `${s.host_type} (objective: ${plan.policy.objective === 'hosts' ? 'fewest hosts' : 'lowest hourly cost'})`],
    ['hosts before', String(s.hosts_before)],
    ['hosts after', `${s.hosts_after} (saving ${s.saving_pct} %)`],
    ['lower bound', `${s.lower_bound} (set by ${s.binding}; gap ${s.gap_pct} %)`],
    ['bound per resource', Object.entries(s.lower_bound_by).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['utilisation', `${DIMS.map((d) => `${d} ${pct(s.utilisation[d])}`).join(', ')} of usable capacity`],
    ['masters per host', `${s.masters_per_host.min}-${s.masters_per_host.max} (cap ${s.masters_per_host.cap})`],
    ['hosts per AZ', Object.entries(s.hosts_per_az).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['masters per AZ', Object.entries(s.masters_per_az).map(([k, v]) => `${k} ${v}`).join(', ')],
    ...cost,
    ['moves', `${plan.moves.length} in ${s.waves} waves`],
  ];
  const width = Math.max(...lines.map(([k]) => (k as string).length));
  const out = [`consolidation plan (${plan.format})`, ...lines.map(([k, v]) => `  ${(k as string).padEnd(width)}  ${v}`), ''];
  out.push('host types');
  out.push(
    renderTable(
      ['type', 'status', 'lower bound', 'hosts', 'cost/h', 'note'],
      plan.candidates.map((c) => [c.host_type, c.status, c.lower_bound === undefined ? '-' : String(c.lower_bound), c.hosts === undefined ? '-' : String(c.hosts), c.hourly_cost === undefined ? '-' : String(c.hourly_cost), c.reason ?? '']),
    ),
    '',
  );
  const shown = plan.hosts.slice(0, Math.max(0, showHosts));
  for (const h of shown) {
    const use = DIMS.map((d) => `${d} ${pct(h.utilisation[d])}`).join(', ');
    out.push(`${h.name} (${h.type}, ${h.az}): ${h.processes.length} mysqld, ${h.masters} master${h.masters === 1 ? '' : 's'}; ${use}`);
    out.push(
      renderTable(
        ['shard', 'role', 'secondary ip', 'port', 'server_id', 'buffer pool', 'config'],
        h.processes.map((p) => [p.shard, p.role, p.secondary_ip, String(p.port), String(p.server_id), `${p.buffer_pool_mb} MB`, p.config_path]),
      ),
      '',
    );
  }
  if (plan.hosts.length > shown.length) out.push(`... ${plan.hosts.length - shown.length} more hosts (--json or --out for the whole plan)`, '');
  const first = plan.moves[0];
  if (first) out.push('order of moves (first of ' + plan.moves.length + ')', describeMove(first), '');
  return out.join('\n');
}

/** The `shard` command group, for the files that add its subcommands (registered after it). */
export function shardGroup(program: Command, sub: string): Command {
  const shard = program.commands.find((c) => c.name() === 'shard');
  if (!shard) throw new BugError(`the shard command group must be registered before its ${sub} subcommand`);
  return shard;
}

/**
 * `dbfleet shard ...`: the consolidator from an operator's seat. `plan` reads an inventory and
 * prints the plan (nothing is touched): exit 2 when the inventory is malformed (the field is
 * named), 1 when no plan can satisfy it (the shards and the reason are named).
 */
export function registerShardCommands(program: Command, ctx: CliContext): void {
  const shard = program.command('shard').description('consolidate shards: several mysqld per host, one per secondary private IP');
  shard
    .command('plan')
    .description('pack every copy of every shard onto as few hosts as possible and order the moves (pure: reads the inventory, touches nothing)')
    .requiredOption('--inventory <file>', 'inventory YAML: shards, host types, policy (see docs/shard-plan.md)')
    .option('--json', 'print the whole plan as one JSON document')
    .option('--out <file>', 'also write the whole plan as JSON to this file (the input of shard apply)')
    .option('--hosts <n>', 'hosts to show in the summary', intOption('--hosts', 0, 100_000), 3)
    .action(async (opts: { inventory: string; json?: boolean; out?: string; hosts: number }) => {
      if (opts.out !== undefined && opts.out.trim() === '') throw new UsageError('--out needs a file name');
      const inventory = await loadInventory(opts.inventory);
      const started = performance.now();
      const plan = planConsolidation(inventory);
      ctx.logger.info({ shards: plan.summary.shards, hosts: plan.summary.hosts_after, lower_bound: plan.summary.lower_bound, plan_ms: Math.round(performance.now() - started) }, 'shard plan ready');
      if (opts.out !== undefined) await writeFile(opts.out, `${JSON.stringify(plan, null, 2)}\n`);
      const text = opts.json ? `${JSON.stringify(plan, null, 2)}\n` : `${renderPlanSummary(plan, opts.hosts)}${opts.out === undefined ? '' : `plan written to ${opts.out}\n`}`;
      ctx.stdout.write(text);
      ctx.exitCode = 0;
    });
}
