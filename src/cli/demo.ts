import type { Command } from 'commander';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxDown } from '../sandbox/sandbox-down.js';
import { sandboxFailover } from '../sandbox/sandbox-failover.js';
import { sandboxStatus } from '../sandbox/sandbox-status.js';
import { sandboxUp } from '../sandbox/sandbox-up.js';
import type { CliContext } from './context.js';
import { createSandboxDeps, statusTable } from './sandbox.js';
import { renderTable } from './table.js';

/**
 * `npm run demo`: brings up a sandbox of real mysqld processes, shows it, simulates an Aurora
 * failover, shows the result, and tears everything down (also when a step fails).
 */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('bring up a sandbox fleet, fail over one cluster, show the result, tear it down')
    .option('--dir <dir>', 'sandbox directory (default: a new temp dir)')
    .action(async (opts: { dir?: string }) => {
      const deps = createSandboxDeps(ctx);
      const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'dbfleet-demo-')));
      const out = (s: string): void => void ctx.stdout.write(s);
      const t0 = performance.now();
      out(`== dbfleet demo: sandbox in ${dir}\n`);
      try {
        const state = await sandboxUp(deps, { dir, clusters: 2, readers: 2 });
        out(`sandbox up: ${state.clusters.length} clusters, ${state.clusters.reduce((n, c) => n + c.instances.length, 0)} mysqld processes + MyDNS db in ${Math.round(performance.now() - t0)} ms\n\n`);
        out(statusTable(await sandboxStatus(deps, dir)));
        out(`\n== simulated Aurora failover of aurora-test-1\n`);
        const report = await sandboxFailover(deps, { dir, cluster: 'aurora-test-1' });
        out(`${renderTable(['t_ms', 'stage', 'detail'], report.timeline.map((s) => [String(s.t_ms), s.stage, s.detail ?? '']))}\n\n`);
        out(statusTable(await sandboxStatus(deps, dir)));
      } finally {
        const down = await sandboxDown(deps, dir);
        out(`\n== sandbox down: stopped ${down.stopped.length} processes, removed ${dir}\n`);
      }
    });
}
