/**
 * Sandbox cold start: `sandbox up --clusters 2 --readers 2` (6 replicated mysqld + the MyDNS
 * mysqld, from nothing: template datadir, copies, start, replication running) and `down`,
 * repeated, on each engine (MariaDB 10.11; Oracle MySQL 9.7 from the scripts/ensure-mysql prefix).
 * Compared against environment.md's measurement of 4 replicated instances from nothing in
 * 1.2-2.3 s, and the "seconds, not minutes"; the engines against each other decide which
 * one the sandbox starts by default.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';
import { benchEngines, putForEngine } from './lib/engines.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const bin = join(process.cwd(), 'bin', 'dbfleet.js');

function run(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DBFLEET_LOG_LEVEL: 'warn' } });
  if (r.status !== 0) throw new Error(`dbfleet ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return performance.now() - t;
}

function rss(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
    kb += Number(r.stdout.trim() || 0);
  }
  return kb / 1024;
}

const metrics: Record<string, number | Record<string, number>> = {};
const samples: Record<string, number[] | Record<string, number[]>> = {};
for (const engine of benchEngines()) {
  const up: number[] = [];
  const failover: number[] = [];
  const down: number[] = [];
  const memory: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const base = await mkdtemp(join(tmpdir(), 'dbf-bench-sbx-'));
    const dir = join(base, 's');
    try {
      up.push(run(['sandbox', 'up', '--dir', dir, '--clusters', '2', '--readers', '2', '--engine', engine, '--json']));
      const state = JSON.parse(spawnSync('cat', [join(dir, 'sandbox.json')], { encoding: 'utf8' }).stdout) as { clusters: { instances: { pid: number }[] }[] };
      memory.push(rss(state.clusters.flatMap((c) => c.instances.map((x) => x.pid))) / 6);
      failover.push(run(['sandbox', 'failover', 'aurora-test-1', '--dir', dir, '--json']));
    } finally {
      down.push(run(['sandbox', 'down', '--dir', dir]));
      await rm(base, { recursive: true, force: true });
    }
  }
  process.stdout.write(`  ${engine}: up ${up.map((x) => Math.round(x)).join(', ')} ms\n`);
  putForEngine(metrics, engine, {
    cold_start_ms_p50: round(median(up), 0),
    cold_start_ms_max: round(max(up), 0),
    failover_sim_ms_p50: round(median(failover), 0),
    down_ms_p50: round(median(down), 0),
    rss_mb_per_instance_p50: round(median(memory), 0),
  });
  putForEngine(samples, engine, { cold_start_ms: up.map((x) => round(x, 0)), failover_sim_ms: failover.map((x) => round(x, 0)), down_ms: down.map((x) => round(x, 0)) });
}

writeResult('sandbox', {
  compared_against: 'environment.md: 4 replicated instances from nothing in 1.2-2.3 s; issue 2: cold start in seconds, not minutes; MariaDB 10.11 against MySQL 9.7 for the default engine',
  runs: RUNS,
  metrics,
  targets: { cold_start_ms_p50: '< 10000 (seconds, not minutes)' },
  samples,
  notes: [
    'each figure is the wall time of the CLI process, node start-up included',
    'sandbox: 2 clusters x (1 writer + 2 readers) + 1 MyDNS mysqld (always MariaDB); metrics.mysql.* with the clusters on MySQL 9.7',
    'rss_mb_per_instance: resident memory of one cluster mysqld right after up (16 MB buffer pool, performance_schema off)',
    'failover_sim: the simulated Aurora failover of one cluster, which restarts the promoted reader (a MySQL restart takes about a second)',
  ],
});
