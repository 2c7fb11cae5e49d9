/**
 * `shard apply` wall time, one move at a time against `--parallel 2` (issue 5's consolidation):
 * four sandbox shards (real mariadbd, a master and a replica each) carrying BENCH_ROWS rows of
 * ~200 bytes each, consolidated onto two target hosts reached over two real sshd, planned with
 * seeds_per_host 2 (two waves of two moves). A client writes to every shard through its writer
 * record the whole time; every acknowledged write must be on the new master afterwards.
 * Each run starts from a fresh sandbox. The harness (sandbox, sshd, plan, writers) is the
 * integration tests' (test/support).
 */
import { performance } from 'node:perf_hooks';
import { openSession } from '../src/mysql/mysql2-session.js';
import { missingWrites } from '../src/failover/meter/lost-writes.js';
import { dbfleet } from '../test/support/cli.js';
import { ConsolidationRig, journalEntries } from '../test/support/consolidation-fixture.js';
import { ShardWriters, valueOn } from '../test/support/consolidation-writers.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const SHARDS = 4;
const PARALLEL = [1, 2];

interface Run {
  parallel: number;
  ms: number;
  lost: number;
  acknowledged: number;
  dataMb: number;
  waves: number;
  /** Each phase's own duration (journal `done` entries), by phase kind, over the run's shards. */
  phaseMs: Record<string, number[]>;
}

async function once(parallel: number): Promise<Run> {
  const rig = await ConsolidationRig.up(SHARDS, 'bench-apply', { seedsPerHost: 2 });
  let writers: ShardWriters | undefined;
  try {
    const { fx, setup } = rig;
    const shards = setup.plan.moves.map((m) => m.shard);
    // the data every seed copies: ROWS rows of ~200 bytes per shard, written on its master
    for (const m of setup.plan.moves) {
      const master = m.from.master;
      await valueOn(fx, master, 'CREATE TABLE IF NOT EXISTS app.bulk (id INT PRIMARY KEY, pad CHAR(200) NOT NULL) ENGINE=InnoDB');
      await valueOn(fx, master, `INSERT INTO app.bulk SELECT seq, REPEAT(CHAR(65 + seq % 26), 200) FROM app.seq_1_to_${ROWS}`);
    }
    const first = setup.plan.moves[0]!.from.master;
    await valueOn(fx, first, 'ANALYZE TABLE app.bulk'); // so information_schema shows its size
    const dataMb = Number(await valueOn(fx, first, "SELECT ROUND(SUM(data_length + index_length) / 1048576, 1) FROM information_schema.tables WHERE table_schema = 'app'"));
    writers = new ShardWriters(fx, shards, `bench-p${parallel}`);
    await writers.writing();
    const started = performance.now();
    const r = await dbfleet(['shard', 'apply', setup.planFile, '--config', setup.configFile, '--parallel', String(parallel)], { timeoutMs: 600_000 });
    const ms = performance.now() - started;
    if (r.code !== 0) throw new Error(`shard apply --parallel ${parallel} failed (exit ${r.code}):\n${r.stderr}`);
    await writers.stopAfterMoreWrites();
    let lost = 0;
    let acknowledged = 0;
    for (const w of writers.all) {
      const move = setup.plan.moves.find((m) => m.shard === w.shard)!;
      const report = w.meter.report();
      acknowledged += report.acknowledged.length;
      lost += (await missingWrites(openSession, { host: move.to.master.ip, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }, 'writes', w.client, report.acknowledged)).length;
    }
    const phaseMs: Record<string, number[]> = {};
    for (const e of await journalEntries(setup.journalFile)) {
      const kind = e.phase.split('/')[1];
      if (e.event === 'done' && kind !== undefined && e.ms !== undefined) (phaseMs[kind] ??= []).push(e.ms);
    }
    process.stdout.write(`  --parallel ${parallel}: ${round(ms / 1000)} s for ${SHARDS} shards of ${dataMb} MB; ${acknowledged} writes acknowledged, ${lost} lost; phase medians ${Object.entries(phaseMs).map(([k, v]) => `${k} ${round(median(v))} ms`).join(', ')}\n`);
    return { parallel, ms, lost, acknowledged, dataMb, waves: new Set(setup.plan.moves.map((m) => m.wave)).size, phaseMs };
  } finally {
    await writers?.stop();
    await rig.down();
  }
}

const runs: Run[] = [];
for (let k = 0; k < REPEATS; k++) for (const p of PARALLEL) runs.push(await once(p));
const ms = (p: number) => runs.filter((r) => r.parallel === p).map((r) => Math.round(r.ms));
writeResult('apply-parallel', {
  compared_against: 'the same plan applied one move at a time (--parallel 1); the seed team moved shards one by one by hand',
  runs: REPEATS,
  metrics: {
    shards: SHARDS,
    waves: runs[0]?.waves ?? 0,
    data_mb_per_shard: runs[0]?.dataMb ?? 0,
    apply_ms_p50_parallel_1: round(median(ms(1))),
    apply_ms_max_parallel_1: round(max(ms(1))),
    apply_ms_p50_parallel_2: round(median(ms(2))),
    apply_ms_max_parallel_2: round(max(ms(2))),
    speedup_p50: round(median(ms(1)) / median(ms(2))),
    lost_writes: runs.reduce((n, r) => n + r.lost, 0),
    acknowledged_writes: runs.reduce((n, r) => n + r.acknowledged, 0),
  },
  targets: { lost_writes: '0' },
  samples: {
    apply_ms_parallel_1: ms(1),
    apply_ms_parallel_2: ms(2),
    // where one move's time goes, one move at a time
    ...Object.fromEntries(['provision', 'seed', 'catch-up', 'verify', 'switchover', 'readers'].map((k) => [`phase_ms_${k}_parallel_1`, runs.filter((r) => r.parallel === 1).flatMap((r) => r.phaseMs[k] ?? [])])),
  },
  notes: [
    'apply_ms = wall time of `dbfleet shard apply PLAN --parallel N` (the CLI process: provision, seed, catch-up, verify, switchover, readers of every shard)',
    'all processes (8 source mariadbd, 8 new ones, 2 sshd, MyDNS, PowerDNS, the writers) share this machine; on separate hosts the moves of a wave do not compete for CPU and disk',
    'runs alternate --parallel 1 and 2, each on a fresh sandbox',
  ],
});
