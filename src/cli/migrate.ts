import type { Command } from 'commander';
import { RunStoppedError } from '../core/phases/phase-runner.js';
import { migrateEnvFromConfig } from '../migrate/migrate-env-from-config.js';
import { migrateRun, migrateRunbook, type RunReport } from '../migrate/migrate-run.js';
import { migratePreflight } from '../migrate/preflight-gather.js';
import { migrateRollback } from '../migrate/rollback.js';
import { renderRunbookMarkdown } from '../migrate/runbook-markdown.js';
import { migrationSandboxUp } from '../migrate/sandbox/migration-sandbox.js';
import { ENGINE_KINDS, engineFromOption, type EngineKind } from '../shard/mysqld/mysqld-engine.js';
import { createSandboxDeps } from './sandbox.js';
import { choiceOption, intOption } from './parse.js';
import { printJson, type CliContext } from './context.js';
import { stopOnSignals } from './stop-signals.js';
import { renderTable } from './table.js';

interface Opts {
  config: string;
  journal?: string;
  json?: boolean;
  dryRun?: boolean;
  resume?: boolean;
  acceptSourcePosition?: boolean;
}

const journalOf = (o: Opts): string => o.journal ?? `${o.config}.journal`;

function renderRun(ctx: CliContext, r: RunReport): void {
  if (r.dryRun) {
    ctx.stdout.write(renderRunbookMarkdown(r.runbook, r.plan));
    return;
  }
  const window = r.writeUnavailableMs === undefined ? 'not measured (steps 3-7 not both in the journal)' : `${r.writeUnavailableMs} ms`;
  ctx.stdout.write(`${r.direction} ${r.from} -> ${r.to}: writes unavailable ${window}; journal ${r.journal}\n`);
  ctx.stdout.write(`${renderTable(['phase', 'outcome', 'ms', 'detail'], r.phases.map((p) => [p.phase, r.skipped.includes(p.phase) && !r.ran.includes(p.phase) ? `${p.outcome} (earlier run)` : p.outcome, p.ms === undefined ? '' : String(p.ms), p.detail ?? '']))}\n`);
}

/** `dbfleet migrate preflight|runbook|run|rollback --config migrate.yaml`: the zero-downtime MySQL -> Aurora cutover. */
export function registerMigrateCommands(program: Command, ctx: CliContext): void {
  const migrate = program.command('migrate').description('zero-downtime MySQL -> Aurora cutover: preflight, runbook, run, rollback (docs/migrate.md)');
  const load = (o: Opts) => migrateEnvFromConfig(o.config, { env: ctx.env, logger: ctx.logger });

  migrate
    .command('sandbox')
    .description('bring up a migration sandbox: a source with a replica, an Aurora-like target replicating from it (emulated mysql.rds_* procedures), MyDNS, PowerDNS; writes D/migrate.yaml and D/fleet.yaml. Tear down with: dbfleet sandbox down --dir D')
    .requiredOption('--dir <dir>', 'sandbox directory')
    .option('--record-ttl <seconds>', 'TTL of the two records before the cutover (step 1 waits it out)', intOption('--record-ttl', 1, 3600), 5)
    .option('--engine <engine>', `what both sides run: ${ENGINE_KINDS.join(' or ')} (MySQL 9.7 from the prefix scripts/ensure-mysql fills; the target emulates Aurora 3 there, Aurora 2 on MariaDB)`, choiceOption('--engine', ENGINE_KINDS), 'mariadb')
    .action(async (o: { dir: string; recordTtl: number; engine: EngineKind }) => {
      const sb = await migrationSandboxUp(createSandboxDeps(ctx), { dir: o.dir, recordTtlS: o.recordTtl, engine: engineFromOption(o.engine, ctx.env) });
      const version = (id: string) => sb.state.clusters.flatMap((c) => c.instances).find((i) => i.id === id)?.version ?? sb.state.engine.kind;
      ctx.stdout.write(`migration sandbox up in ${sb.dir}\n`);
      ctx.stdout.write(`${renderTable(['role', 'instance', 'address', 'server'], [
        ['source (the MySQL master)', sb.source.id, `${sb.source.host}:${sb.source.port}`, version(sb.source.id)],
        ['source replica', sb.sourceReader.id, `${sb.sourceReader.host}:${sb.sourceReader.port}`, version(sb.sourceReader.id)],
        ['target writer (Aurora-like)', sb.target.id, `${sb.target.host}:${sb.target.port}`, version(sb.target.id)],
        ['target reader', sb.targetReader.id, `${sb.targetReader.host}:${sb.targetReader.port}`, version(sb.targetReader.id)],
      ])}\n`);
      ctx.stdout.write(`records ${sb.config.dns.writer_record} / ${sb.config.dns.reader_record} (TTL ${o.recordTtl} s); config ${sb.configFile}\n`);
    });

  migrate
    .command('preflight')
    .description('check every precondition, each with its evidence; exit 1 when one fails; changes nothing')
    .requiredOption('--config <file>', 'migrate.yaml')
    .option('--json', 'print the report as one JSON document')
    .action(async (o: Opts) => {
      const { env, replicationLogin } = await load(o);
      const report = await migratePreflight(env, replicationLogin);
      if (o.json) printJson(ctx, report);
      else {
        ctx.stdout.write(`${renderTable(['check', 'result', 'evidence'], report.checks.map((c) => [c.check, c.ok ? 'pass' : 'FAIL', c.evidence]))}\n`);
        ctx.stdout.write(report.ok ? 'preflight passed\n' : `preflight FAILED: ${report.checks.filter((c) => !c.ok).length} check(s); nothing was changed\n`);
      }
      ctx.exitCode = report.ok ? 0 : 1;
    });

  migrate
    .command('runbook')
    .description('print the cutover plan as Markdown: every step, its SQL and DNS changes, checks, waits and undo; changes nothing')
    .requiredOption('--config <file>', 'migrate.yaml')
    .option('--journal <file>', 'show the positions and snapshot of this run (default: CONFIG.journal when it exists)')
    .option('--json', 'print the runbook as one JSON document')
    .action(async (o: Opts) => {
      const { env } = await load(o);
      const rb = await migrateRunbook(env, journalOf(o));
      if (o.json) printJson(ctx, rb);
      else ctx.stdout.write(renderRunbookMarkdown(rb));
    });

  migrate
    .command('run')
    .description('run the cutover as journaled phases (steps 3-7 back to back; the write-unavailability window is reported)')
    .requiredOption('--config <file>', 'migrate.yaml')
    .option('--journal <file>', 'the run journal (default: CONFIG.journal)')
    .option('--dry-run', 'print the steps (with what the journal shows as done) and change nothing')
    .option('--resume', 'continue the run the journal records')
    .option('--accept-source-position', 'with --resume: step 9 goes on although the old writer committed transactions after replication stopped (journaled; they are NOT on the new writer: reconcile them by hand)')
    .option('--json', 'print the report as one JSON document')
    .action(async (o: Opts) => {
      const { env } = await load(o);
      // Ctrl-C / SIGTERM: never mid-phase, and never inside the write window (steps 3-7), which would stay open
      const r = await underStopDeferral(ctx, o, 'run', 'after the current phase; inside the write window (steps 3-7) the run first closes it, through step 7', (signal) =>
        migrateRun(env, { journal: journalOf(o), resume: o.resume ?? false, dryRun: o.dryRun ?? false, acceptSourcePosition: o.acceptSourcePosition ?? false, signal }),
      );
      if (o.json) printJson(ctx, r);
      else renderRun(ctx, r);
    });

  migrate
    .command('rollback')
    .description('roll back from whatever step the journal reached: undo the started steps, or the reverse switch after a finished cutover')
    .requiredOption('--config <file>', 'migrate.yaml')
    .option('--journal <file>', "the cutover's journal (default: CONFIG.journal); the rollback keeps its own in JOURNAL.rollback")
    .option('--dry-run', 'print what the rollback would do and change nothing')
    .option('--resume', 'continue a rollback its journal records')
    .option('--accept-source-position', "a step 9 (the cutover's, which the rollback finishes first, or its own) goes on although the old writer committed transactions after replication stopped (journaled; they are NOT on the new writer: reconcile them by hand)")
    .option('--json', 'print the report as one JSON document')
    .action(async (o: Opts) => {
      const { env } = await load(o);
      // Ctrl-C / SIGTERM: as for run (the reverse switch's window is closed first); an undo runs to its end
      const r = await underStopDeferral(ctx, o, 'rollback', 'after the current phase; inside the write window (steps 3-7) the rollback first closes it, through step 7, and an undo of a cutover runs to its end', (signal) =>
        migrateRollback(env, { journal: journalOf(o), resume: o.resume ?? false, dryRun: o.dryRun ?? false, acceptSourcePosition: o.acceptSourcePosition ?? false, signal }),
      );
      if (o.json) return printJson(ctx, r);
      if (r.mode === 'nothing') return void ctx.stdout.write(`nothing to roll back: ${journalOf(o)} shows no started cutover\n`);
      ctx.stdout.write(`rollback by ${r.mode === 'reverse' ? 'the reverse switch' : 'undoing the started steps'}; journal ${r.journal}\n`);
      if (r.finished) renderRun(ctx, r.finished);
      if (r.reverse) renderRun(ctx, r.reverse);
      if (r.undo) {
        ctx.stdout.write(`${renderTable(['phase', 'status', 'what'], r.undo.plan.map((p) => [p.phase, o.dryRun ? p.status : r.undo?.ran.includes(p.phase) ? 'done' : p.status === 'done' ? 'done (earlier run)' : 'skipped', p.description]))}\n`);
      }
    });
}

/**
 * Runs `work` with Ctrl-C / SIGTERM turned into a stop request (not for a dry run, which changes
 * nothing); a run stopped that way says the command that resumes it.
 */
async function underStopDeferral<T>(ctx: CliContext, o: Opts, command: 'run' | 'rollback', how: string, work: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const stops = o.dryRun ? undefined : stopOnSignals(ctx, how);
  try {
    return await work(stops?.signal);
  } catch (e) {
    if (e instanceof RunStoppedError) throw new RunStoppedError(e.message, { cause: e, next: `dbfleet migrate ${command} --resume --config ${o.config}${o.journal === undefined ? '' : ` --journal ${o.journal}`}` });
    throw e;
  } finally {
    stops?.release();
  }
}
