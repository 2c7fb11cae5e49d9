import type { Command } from 'commander';
import type { SandboxDeps } from '../sandbox/sandbox-deps.js';
import { localSandboxDeps } from '../sandbox/local-sandbox-deps.js';
import { sandboxDown } from '../sandbox/sandbox-down.js';
import { sandboxFailover } from '../sandbox/sandbox-failover.js';
import { sandboxStatus, type SandboxStatus } from '../sandbox/sandbox-status.js';
import { sandboxUp } from '../sandbox/sandbox-up.js';
import type { SandboxState } from '../sandbox/sandbox-state.js';
import { printJson, type CliContext } from './context.js';
import { ENGINE_KINDS, engineFromOption, type EngineKind } from '../shard/mysqld/mysqld-engine.js';
import { choiceOption, intOption } from './parse.js';
import { renderTable } from './table.js';

export const DEFAULT_SANDBOX_DIR = '.sandbox';

export function createSandboxDeps(ctx: CliContext): SandboxDeps {
  // DBFLEET_MYSQLD names another server binary (e.g. a MySQL build); tests use it to check the
  // missing-binary error.
  return localSandboxDeps(ctx.logger, { slotDir: ctx.env['DBFLEET_SLOT_DIR'], binaries: ctx.env['DBFLEET_MYSQLD'] ? { server: ctx.env['DBFLEET_MYSQLD'] } : {} });
}

/** The document `sandbox up --json` prints (and `status` extends with live fields). */
export function upDocument(state: SandboxState): unknown {
  return {
    dir: state.dir,
    config: state.config,
    engine: state.engine.kind,
    clusters: state.clusters.map((c) => ({
      name: c.name,
      writer_record: c.writer_record,
      reader_record: c.reader_record,
      instances: c.instances.map((i) => ({ id: i.id, host: i.host, port: i.port, socket: i.socket, pid: i.pid, role: i.role, engine: state.engine.kind, version: i.version ?? null })),
    })),
    dns: { dsn: state.dns.dsn, server: state.dns.server, zone: state.dns.zone, db: { host: state.dnsDb.host, port: state.dnsDb.port, socket: state.dnsDb.socket, pid: state.dnsDb.pid } },
  };
}

export function statusTable(s: SandboxStatus): string {
  const rows = s.clusters.flatMap((c) =>
    c.instances.map((i) => [
      c.name,
      i.id,
      `${i.host}:${i.port}`,
      String(i.pid ?? '-'),
      i.role,
      i.live_role ?? (i.reachable ? '?' : 'DOWN'),
      i.replication ? `io=${i.replication.io_running} sql=${i.replication.sql_running ? 'yes' : 'no'} lag=${i.replication.seconds_behind ?? '-'}${i.replication.last_error ? ` err=${i.replication.last_error}` : ''}` : '-',
    ]),
  );
  return `${renderTable(['cluster', 'instance', 'address', 'pid', 'role', 'live', 'replication'], rows)}\nmydns db ${s.dns.db.host}:${s.dns.db.port} ${s.dns.db.reachable ? 'up' : 'DOWN'}; config ${s.config}\n${s.healthy ? 'healthy' : 'NOT healthy'}\n`;
}

export function registerSandboxCommands(program: Command, ctx: CliContext): void {
  const sandbox = program.command('sandbox').description('a local fleet of real mysqld processes (and PowerDNS) for the demo, tests and benchmarks');

  sandbox
    .command('up')
    .description('start N Aurora-like clusters (a writer and R readers each) and a MyDNS database')
    .option('--dir <dir>', 'sandbox directory', DEFAULT_SANDBOX_DIR)
    .option('--clusters <n>', 'number of clusters', intOption('--clusters', 1, 250), 2)
    .option('--readers <n>', 'readers per cluster', intOption('--readers', 0, 15), 2)
    .option('--slot <n>', 'use addresses 127.<n>.0.0/16 (default: a free slot from 100-239)', intOption('--slot', 1, 254))
    .option('--engine <engine>', `what the clusters run: ${ENGINE_KINDS.join(' or ')} (MySQL from the prefix scripts/ensure-mysql fills)`, choiceOption('--engine', ENGINE_KINDS), 'mariadb')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: { dir: string; clusters: number; readers: number; slot?: number; engine: EngineKind; json?: boolean }) => {
      const engine = engineFromOption(opts.engine, ctx.env);
      const state = await sandboxUp(createSandboxDeps(ctx), { dir: opts.dir, clusters: opts.clusters, readers: opts.readers, slot: opts.slot, engine });
      if (opts.json) printJson(ctx, upDocument(state));
      else {
        ctx.stdout.write(`sandbox up in ${state.dir} (${state.clusters[0]?.instances[0]?.version ?? state.engine.kind})\nfleet config: ${state.config}\n`);
        for (const c of state.clusters) for (const i of c.instances) ctx.stdout.write(`  ${i.id.padEnd(28)} ${i.host}:${i.port}  ${i.role.padEnd(6)} pid ${i.pid}  socket ${i.socket}\n`);
        const client = engine.kind === 'mysql' && engine.prefix ? `${engine.prefix}/bin/mysql --no-defaults -uroot` : 'mariadb';
        ctx.stdout.write(`inspect an instance with: ${client} -S <socket>\n`);
      }
    });

  sandbox
    .command('status')
    .description("each instance's live role, reachability and replication health, read from the servers")
    .option('--dir <dir>', 'sandbox directory', DEFAULT_SANDBOX_DIR)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const s = await sandboxStatus(createSandboxDeps(ctx), opts.dir);
      if (opts.json) printJson(ctx, s);
      else ctx.stdout.write(statusTable(s));
      ctx.exitCode = s.healthy ? 0 : 1;
    });

  sandbox
    .command('failover <cluster>')
    .description('simulate an Aurora failover: the writer goes down, a reader is promoted, the old writer returns as a reader')
    .option('--dir <dir>', 'sandbox directory', DEFAULT_SANDBOX_DIR)
    .option('--to <instance>', 'the reader to promote (default: the first reader)')
    .option('--restart-ms <ms>', "extra time the candidate spends restarting (Aurora's takes seconds)", intOption('--restart-ms', 0, 600_000), 0)
    .option('--return-after-ms <ms>', 'how long the old writer stays down after the promotion', intOption('--return-after-ms', 0, 600_000), 0)
    .option('--json', 'print the timeline as one JSON document')
    .action(async (cluster: string, opts: { dir: string; to?: string; restartMs: number; returnAfterMs: number; json?: boolean }) => {
      const report = await sandboxFailover(createSandboxDeps(ctx), {
        dir: opts.dir,
        cluster,
        candidate: opts.to,
        restartMs: opts.restartMs,
        oldWriterReturnAfterMs: opts.returnAfterMs,
      });
      if (opts.json) printJson(ctx, report);
      else {
        ctx.stdout.write(`failover of ${report.cluster}: ${report.old_writer} -> ${report.new_writer}\n`);
        ctx.stdout.write(`${renderTable(['t_ms', 'at', 'stage', 'detail'], report.timeline.map((s) => [String(s.t_ms), s.at, s.stage, s.detail ?? '']))}\n`);
      }
    });

  sandbox
    .command('down')
    .description('stop every process the sandbox started, by PID, and remove what it added')
    .option('--dir <dir>', 'sandbox directory', DEFAULT_SANDBOX_DIR)
    .action(async (opts: { dir: string }) => {
      const report = await sandboxDown(createSandboxDeps(ctx), opts.dir);
      ctx.stdout.write(report.found ? `stopped ${report.stopped.length} processes; removed ${report.dir}\n` : `no sandbox in ${report.dir}; nothing to do\n`);
    });
}
