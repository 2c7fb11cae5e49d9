/**
 * Sandbox cold start: `sandbox up --clusters 2 --readers 2` (6 replicated mysqld + the MyDNS
 * mysqld, from nothing: template datadir, copies, start, replication running) and `down`,
 * repeated. Compared against environment.md's measurement of 4 replicated instances from nothing
 * in 1.2-2.3 s, and the "seconds, not minutes".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const bin = join(process.cwd(), 'bin', 'dbfleet.js');
const up: number[] = [];
const failover: number[] = [];
const down: number[] = [];

function run(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DBFLEET_LOG_LEVEL: 'warn' } });
  if (r.status !== 0) throw new Error(`dbfleet ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return performance.now() - t;
}

for (let i = 0; i < RUNS; i++) {
  const base = await mkdtemp(join(tmpdir(), 'dbf-bench-sbx-'));
  const dir = join(base, 's');
  try {
    up.push(run(['sandbox', 'up', '--dir', dir, '--clusters', '2', '--readers', '2', '--json']));
    failover.push(run(['sandbox', 'failover', 'aurora-test-1', '--dir', dir, '--json']));
  } finally {
    down.push(run(['sandbox', 'down', '--dir', dir]));
    await rm(base, { recursive: true, force: true });
  }
}

writeResult('sandbox', {
  compared_against: 'environment.md: 4 replicated instances from nothing in 1.2-2.3 s; issue 2: cold start in seconds, not minutes',
  runs: RUNS,
  metrics: {
    cold_start_ms_p50: round(median(up), 0),
    cold_start_ms_max: round(max(up), 0),
    failover_sim_ms_p50: round(median(failover), 0),
    down_ms_p50: round(median(down), 0),
  },
  targets: { cold_start_ms_p50: '< 10000 (seconds, not minutes)' },
  samples: { cold_start_ms: up.map((x) => round(x, 0)), failover_sim_ms: failover.map((x) => round(x, 0)), down_ms: down.map((x) => round(x, 0)) },
  notes: ['each figure is the wall time of the CLI process, node start-up included', 'sandbox: 2 clusters x (1 writer + 2 readers) + 1 MyDNS mysqld = 7 mariadbd'],
});
