/**
 * `shard apply` wall time, one move at a time against `--parallel 2` (issue 5's consolidation),
 * on each engine (bench/lib/engines.ts; BENCH_ENGINES narrows): four sandbox shards (real
 * servers, a master and a replica each) carrying BENCH_ROWS rows of ~200 bytes each,
 * consolidated onto two target hosts of the same engine reached over two real sshd, planned with
 * seeds_per_host 2 (two waves of two moves). A client writes to every shard through its writer
 * record the whole time; every acknowledged write must be on the new master afterwards.
 * Each run starts from a fresh sandbox. The harness (sandbox, sshd, plan, writers) is the
 * integration tests' (test/support). MariaDB seeds by dump, MySQL by CLONE (the sandbox's
 * replicas load the clone plugin). MariaDB's figures at metrics.<name>, MySQL's at metrics.mysql.<name>.
 */
import { performance } from 'node:perf_hooks';
import { openSession } from '../src/mysql/mysql2-session.js';
import { missingWrites } from '../src/failover/meter/lost-writes.js';
import { dbfleet } from '../test/support/cli.js';
import { ConsolidationRig, journalEntries } from '../test/support/consolidation-fixture.js';
import { ShardWriters, valueOn } from '../test/support/consolidation-writers.js';
import type { EngineKind } from '../src/shard/mysqld/mysqld-engine.js';
import { benchEngines, putForEngine } from './lib/engines.js';
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

const DIGITS = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
/** 1..10^k >= ROWS as a row source spelled alike on both engines (no SEQUENCE engine on MySQL, no recursion limit). */
const PLACES = Math.max(1, Math.ceil(Math.log10(ROWS)));
const NUMBERS = `(SELECT ${Array.from({ length: PLACES }, (_, i) => `${10 ** i} * t${i}.d`).join(' + ')} + 1 AS seq FROM ${Array.from({ length: PLACES }, (_, i) => `${DIGITS} t${i}`).join(', ')}) n`;

async function once(engine: EngineKind, parallel: number): Promise<Run> {
  const rig = await ConsolidationRig.up(SHARDS, 'bench-apply', { seedsPerHost: 2, engine });
  let writers: ShardWriters | undefined;
  try {
    const { fx, setup } = rig;
    const shards = setup.plan.moves.map((m) => m.shard);
    // the data every seed copies: ROWS rows of ~200 bytes per shard, written on its master
    for (const m of setup.plan.moves) {
      const master = m.from.master;
      await valueOn(fx, master, 'CREATE TABLE IF NOT EXISTS app.bulk (id INT PRIMARY KEY, pad CHAR(200) NOT NULL) ENGINE=InnoDB');
      await valueOn(fx, master, `INSERT INTO app.bulk SELECT seq, REPEAT(CHAR(65 + seq % 26), 200) FROM ${NUMBERS} WHERE seq <= ${ROWS}`);
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
    process.stdout.write(`  ${engine} --parallel ${parallel}: ${round(ms / 1000)} s for ${SHARDS} shards of ${dataMb} MB; ${acknowledged} writes acknowledged, ${lost} lost; phase medians ${Object.entries(phaseMs).map(([k, v]) => `${k} ${round(median(v))} ms`).join(', ')}\n`);
    return { parallel, ms, lost, acknowledged, dataMb, waves: new Set(setup.plan.moves.map((m) => m.wave)).size, phaseMs };
  } finally {
    await writers?.stop();
    await rig.down();
  }
}

const metrics: Record<string, unknown> = {};
const samples: Record<string, unknown> = {};
const engines = benchEngines();
for (const engine of engines) {
  const runs: Run[] = [];
  for (let k = 0; k < REPEATS; k++) for (const p of PARALLEL) runs.push(await once(engine, p));
  const ms = (p: number): number[] => runs.filter((r) => r.parallel === p).map((r) => Math.round(r.ms));
  putForEngine(metrics, engine, {
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
  });
  putForEngine(samples, engine, {
    apply_ms_parallel_1: ms(1),
    apply_ms_parallel_2: ms(2),
    // where one move's time goes, one move at a time
    ...Object.fromEntries(['provision', 'seed', 'catch-up', 'verify', 'switchover', 'readers'].map((k) => [`phase_ms_${k}_parallel_1`, runs.filter((r) => r.parallel === 1).flatMap((r) => r.phaseMs[k] ?? [])])),
  });
}
writeResult('apply-parallel', {
  compared_against: 'the same plan applied one move at a time (--parallel 1); the seed team moved shards one by one by hand',
  runs: REPEATS,
  metrics: metrics as Record<string, number | Record<string, number>>,
  targets: { lost_writes: '0' },
  samples: samples as Record<string, number[] | Record<string, number[]>>,
  notes: [
    'apply_ms = wall time of `dbfleet shard apply PLAN --parallel N` (the CLI process: provision, seed, catch-up, verify, switchover, readers of every shard)',
    'all processes (8 source servers, 8 new ones, 2 sshd, MyDNS, PowerDNS, the writers) share this machine; on separate hosts the moves of a wave do not compete for CPU and disk',
    `runs alternate --parallel 1 and 2, each on a fresh sandbox; engines: ${engines.join(', ')} (MariaDB seeds by dump, MySQL by CLONE); MariaDB's figures at metrics.<name>, MySQL's at metrics.mysql.<name>`,
  ],
});
