import type { Command } from 'commander';
import { shardGroup } from './shard.js';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { BugError, UsageError } from '../core/errors.js';
import { resolvePassword } from '../core/secrets.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import type { ShardPlan } from '../shard/plan/plan-types.js';
import { resolveMoves, type ApplyMove } from '../shard/apply/apply-moves.js';
import type { ApplyDeps, ApplySettings } from '../shard/apply/apply-context.js';
import { ApplyHosts } from '../shard/apply/apply-hosts.js';
import { applyPlan, previewApply } from '../shard/apply/apply-plan.js';
import { printJson, type CliContext } from './context.js';
import { loadFleetContext, type FleetContext } from './fleet-context.js';
import { intOption } from './parse.js';
import { renderTable } from './table.js';

export interface LoadedPlan {
  plan: ShardPlan;
  sha256: string;
  moves: ApplyMove[];
}

/** Reads a plan written by `shard plan --out` and joins it with the fleet config; exit 2 on any mismatch. */
export async function loadPlan(file: string, fleet: FleetContext): Promise<LoadedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the plan ${file}: ${(e as Error).message}`, { next: 'make one with dbfleet shard plan --inventory FILE --out PLAN.json' });
  }
  let plan: ShardPlan;
  try {
    plan = JSON.parse(text) as ShardPlan;
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`, { next: 'give the file shard plan --out wrote' });
  }
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.moves) || !Array.isArray(plan.hosts)) {
    throw new UsageError(`${file} is not a consolidation plan (no moves or hosts)`, { next: 'give the file shard plan --out wrote' });
  }
  return { plan, sha256: createHash('sha256').update(text).digest('hex'), moves: resolveMoves(plan, fleet.config) };
}

export async function applySettings(ctx: CliContext, fleet: FleetContext): Promise<ApplySettings> {
  const c = fleet.config;
  if (!c.consolidation || !c.replication) throw new BugError('resolveMoves checks the consolidation and replication sections first');
  return {
    section: c.consolidation,
    admin: { user: fleet.mysqlUser, password: fleet.mysqlPassword },
    repl: { user: c.replication.user, password: (await resolvePassword(c.replication, ctx.env, 'replication')) ?? '' },
    zone: fleet.zone,
    readerWeight: c.checker.reader_weight,
    appUsers: c.switchover.app_users,
    maxLagSeconds: c.switchover.max_lag_seconds,
    longTransactionSeconds: c.switchover.long_transaction_seconds,
    switchCatchUpTimeoutMs: c.switchover.catch_up_timeout_ms,
    blockWritesTimeoutSeconds: c.switchover.block_writes_timeout_seconds,
    longStatementSeconds: c.switchover.long_statement_seconds,
  };
}

/**
 * Catch-up progress: redrawn in place on a terminal when one move runs at a time; otherwise (a
 * pipe, or moves side by side) a line per new copy at most every 5 s, and its last line.
 */
function progressWriter(ctx: CliContext, parallel: number): (target: string, line: string) => void {
  const redraw = (ctx.stderr as NodeJS.WriteStream).isTTY === true && parallel === 1;
  const last = new Map<string, number>();
  return (target, line) => {
    const done = line.endsWith('caught up');
    if (redraw) {
      ctx.stderr.write(`\r${line}\x1b[K${done ? '\n' : ''}`);
      return;
    }
    const now = Date.now();
    if (now - (last.get(target) ?? 0) >= 5_000 || done) {
      last.set(target, now);
      ctx.stderr.write(`${line}\n`);
    }
  };
}

export function applyDeps(ctx: CliContext, fleet: FleetContext, hosts: ApplyHosts, parallel = 1): ApplyDeps {
  return {
    host: (h) => hosts.host(h),
    mysqld: (h) => hosts.mysqld(h),
    ips: (h) => hosts.ips(h),
    hostLock: (h) => hosts.lock(h),
    connect: connectAdmin,
    openDns: () => openSession(fleet.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 }),
    logger: ctx.logger,
    actor: `cli:${userInfo().username}@${hostname()}`,
    progress: progressWriter(ctx, parallel),
    ...failpoint(ctx),
  };
}

/**
 * DBFLEET_FAILPOINT=<shard>:<switchover phase> kills this process (SIGKILL) right after that
 * phase: how the tests crash a switchover with writes blocked, or just after the promotion;
 * <shard>:verify-at-position, inside verify with both copies at the compared position;
 * <shard>:seeded, at the end of seed before its end is journaled. Never set
 * it in production.
 */
function failpoint(ctx: CliContext): { failpoint?: (point: string) => void } {
  const at = ctx.env['DBFLEET_FAILPOINT'];
  if (at === undefined || at === '') return {};
  return {
    failpoint: (point) => {
      if (point !== at) return;
      ctx.stderr.write(`dbfleet: failpoint ${point}: killing this process\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  };
}

/**
 * Ctrl-C (SIGINT) or SIGTERM during apply: the run stops between phases, never inside one (a
 * switchover holds writes blocked for milliseconds; dying there would leave them blocked).
 */
export function deferStops(ctx: CliContext): { requested: () => boolean; release: () => void } {
  let requested = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!requested) ctx.stderr.write(`dbfleet: ${sig}: finishing the current phase, then stopping (resume with --resume)\n`);
    else ctx.stderr.write(`dbfleet: ${sig}: still finishing the current phase; it is not safe to cut it short\n`);
    requested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    requested: () => requested,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** `dbfleet shard apply PLAN --config FILE [--dry-run] [--resume] [--redo-from S/P] [--parallel N] [--journal FILE]`. */
export function registerShardApply(program: Command, ctx: CliContext): void {
  const shard = shardGroup(program, 'apply');
  shard
    .command('apply <plan>')
    .description('carry out a consolidation plan: per shard provision, seed, catch up, verify, switch over, move readers (journaled, resumable)')
    .requiredOption('--config <file>', 'fleet config with the shards (clusters), the consolidation section, replication and DNS')
    .option('--journal <file>', 'the run journal (default: <plan>.journal)')
    .option('--dry-run', 'print every phase with the real names and addresses, and which are done; change nothing')
    .option('--resume', 'continue the run the journal records')
    .option('--redo-from <shard/phase>', 'with --resume: run that phase (provision, seed, catch-up or verify) and the shard\'s later ones again')
    .option('--parallel <n>', "moves of one wave at a time (the plan's waves bound the seeds per host); a failure stops the others after their current phase", intOption('--parallel', 1, 64), 1)
    .option('--json', 'print the outcome as one JSON document')
    .action(async (planFile: string, opts: { config: string; journal?: string; dryRun?: boolean; resume?: boolean; json?: boolean; redoFrom?: string; parallel: number }) => {
      if (opts.redoFrom !== undefined && !opts.resume) throw new UsageError('--redo-from needs --resume: it changes what a recorded run does next');
      const fleet = await loadFleetContext(ctx, opts.config);
      const loaded = await loadPlan(planFile, fleet);
      const settings = await applySettings(ctx, fleet);
      const hosts = new ApplyHosts(settings.section, ctx.logger);
      const deps = applyDeps(ctx, fleet, hosts, opts.parallel);
      const req = { moves: loaded.moves, planSha256: loaded.sha256, journalPath: opts.journal ?? `${planFile}.journal`, resume: opts.resume === true, parallel: opts.parallel, ...(opts.redoFrom !== undefined ? { redoFrom: opts.redoFrom } : {}) };
      try {
        if (opts.dryRun) {
          const lines = await previewApply(req, deps, settings);
          if (opts.json) printJson(ctx, { dry_run: true, journal: req.journalPath, phases: lines });
          else {
            const waves = new Set(loaded.moves.map((m) => m.wave)).size;
            ctx.stdout.write(`dry run of ${planFile} (${loaded.moves.length} moves in ${waves} wave${waves === 1 ? '' : 's'}, ${opts.parallel === 1 ? 'one move at a time' : `up to ${opts.parallel} moves of a wave at a time`}; journal ${req.journalPath}); nothing is changed\n`);
            ctx.stdout.write(`${renderTable(['#', 'phase', 'status', 'what it does'], lines.map((l, i) => [String(i + 1), l.phase, l.status, l.description]))}\n`);
          }
          return;
        }
        const stops = deferStops(ctx);
        try {
          const out = await applyPlan({ ...req, stopRequested: stops.requested }, deps, settings);
          const rows = loaded.moves.map((m) => {
            const sw = out.state[`${m.shard}:switchover`] as { to?: string; write_blocked_ms?: number; recovered?: boolean } | undefined;
            return [m.shard, m.master.id, sw?.to ?? '-', sw?.write_blocked_ms === undefined ? (sw?.recovered ? 'recovered' : '-') : `${sw.write_blocked_ms} ms`, m.retire.map((r) => r.id).join(', ') || '-'];
          });
          if (opts.json) printJson(ctx, { journal: req.journalPath, ran: out.ran, skipped: out.skipped, state: out.state });
          else {
            ctx.stdout.write(`applied ${planFile}: ${out.ran.length} phases ran, ${out.skipped.length} already done (journal ${req.journalPath})\n`);
            ctx.stdout.write(`${renderTable(['shard', 'old master', 'new master', 'writes blocked', 'to retire later'], rows)}\n`);
            ctx.stdout.write(`old servers keep replicating from the new masters (the rollback path); after the observation period: dbfleet shard retire ${planFile} --config ${opts.config} --confirm\n`);
          }
        } finally {
          stops.release();
        }
      } finally {
        await hosts.close();
      }
    });
}
