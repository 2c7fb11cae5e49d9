/**
 * The experiment behind `shard verify`'s snapshot position on MySQL (src/mysql/dialect-consolidation.ts):
 * a MySQL 9.7 sandbox replica (binlog on, log_replica_updates on, the multi-threaded applier)
 * applies a write every millisecond from its master; the replica is read in a consistent snapshot
 * SNAPSHOTS times three ways, and each time the position the snapshot claims is compared with the
 * rows it sees (the writer's row n is the master's GTID base + n):
 *   table: START TRANSACTION WITH CONSISTENT SNAPSHOT, then mysql.gtid_executed read inside it;
 *   lock:  FLUSH TABLES WITH READ LOCK, START TRANSACTION WITH CONSISTENT SNAPSHOT,
 *          SELECT @@GLOBAL.gtid_executed, UNLOCK TABLES (what verify did until the pause);
 *   pause: STOP REPLICA SQL_THREAD (second connection), START TRANSACTION WITH CONSISTENT SNAPSHOT,
 *          SELECT @@GLOBAL.gtid_executed, START REPLICA SQL_THREAD (second connection): what verify does.
 * Reports how many snapshots matched exactly, how long the lock held / the pause stopped the
 * applier, and (ROUNDS times, each way) how long a reader of a table waits when the position is
 * taken while a 1 s query runs on that table.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/core/logger.js';
import { openSession } from '../src/mysql/mysql2-session.js';
import { parseGtidSet } from '../src/mysql/mysql-gtid-set.js';
import { localSandboxDeps } from '../src/sandbox/local-sandbox-deps.js';
import { readPasswords } from '../src/sandbox/sandbox-secrets.js';
import { requireState } from '../src/sandbox/sandbox-state.js';
import { sandboxDown } from '../src/sandbox/sandbox-down.js';
import { sandboxUp } from '../src/sandbox/sandbox-up.js';
import { benchEngine } from './lib/engines.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const SNAPSHOTS = Number(process.env.BENCH_SNAPSHOTS ?? 300);
const deps = localSandboxDeps(createLogger({ level: 'warn' }));
const base = await mkdtemp(join(tmpdir(), 'dbf-bench-snap-'));
const dir = join(base, 's');
try {
  await sandboxUp(deps, { dir, clusters: 1, readers: 1, engine: benchEngine('mysql') });
  const state = await requireState(dir);
  const pw = await readPasswords(deps.host, dir);
  const [master, replica] = state.clusters[0]!.instances;
  const open = (h: string) => openSession({ host: h, port: 3306, user: 'dbfleet', password: pw.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
  const m = await open(master!.host);
  const w = await open(master!.host);
  const r = await open(replica!.host);
  await m.query('CREATE TABLE app.snapshot_probe (seq BIGINT PRIMARY KEY) ENGINE=InnoDB');
  const uuid = String((await m.query('SELECT @@server_uuid AS u'))[0]?.['u']);
  /** The last GTID number of the master's own transactions in a set. */
  const last = (set: string): number => Math.max(0, ...(parseGtidSet(set).get(uuid) ?? []).map(([, b]) => b));
  const baseGtid = last(String((await m.query('SELECT @@GLOBAL.gtid_executed AS g'))[0]?.['g']));
  let seq = 0;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await w.query('INSERT INTO app.snapshot_probe VALUES (?)', [++seq]);
      await new Promise((s) => setTimeout(s, 1));
    }
  })();
  await new Promise((s) => setTimeout(s, 500));
  const seen = async (): Promise<number> => baseGtid + Number((await r.query('SELECT COALESCE(MAX(seq), 0) AS n FROM app.snapshot_probe'))[0]?.['n']);
  let tableMatches = 0;
  let tableBehind = 0;
  let lockMatches = 0;
  let pauseMatches = 0;
  const held: number[] = [];
  const paused: number[] = [];
  const c = await open(replica!.host);
  await r.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await r.query('SET SESSION lock_wait_timeout = 5');
  for (let i = 0; i < SNAPSHOTS; i++) {
    await r.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const rows = await r.query('SELECT source_uuid AS s, interval_end AS e FROM mysql.gtid_executed WHERE source_uuid = ?', [uuid]);
    const table = Math.max(0, ...rows.map((x) => Number(x['e'])));
    const data = await seen();
    await r.query('COMMIT');
    if (table === data) tableMatches++;
    else if (table < data) tableBehind++;
    const t0 = performance.now();
    await r.query('FLUSH TABLES WITH READ LOCK');
    await r.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const variable = last(String((await r.query('SELECT @@GLOBAL.gtid_executed AS g'))[0]?.['g']));
    await r.query('UNLOCK TABLES');
    held.push(performance.now() - t0);
    await new Promise((s) => setTimeout(s, 5)); // the applier moves on; the snapshot must not
    if (variable === (await seen())) lockMatches++;
    await r.query('COMMIT');
    // START/STOP REPLICA commit the session's transaction: the applier is paused on another one
    const t1 = performance.now();
    await c.query('STOP REPLICA SQL_THREAD');
    await r.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
    const position = last(String((await r.query('SELECT @@GLOBAL.gtid_executed AS g'))[0]?.['g']));
    await c.query('START REPLICA SQL_THREAD');
    paused.push(performance.now() - t1);
    await new Promise((s) => setTimeout(s, 5));
    if (position === (await seen())) pauseMatches++;
    await r.query('COMMIT');
  }
  // a reader of a table while the position is taken and a 1 s query runs on that table
  const ROUNDS = Number(process.env.BENCH_READER_ROUNDS ?? 5);
  const longer = await open(replica!.host);
  const reader = await open(replica!.host);
  const readerWait = { lock: [] as number[], pause: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const way of ['lock', 'pause'] as const) {
      const long = longer.query('SELECT SLEEP(1) FROM app.snapshot_probe LIMIT 1');
      await new Promise((s) => setTimeout(s, 100));
      const taking = (async () => {
        if (way === 'lock') {
          await r.query('FLUSH TABLES WITH READ LOCK');
          await r.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
          await r.query('SELECT @@GLOBAL.gtid_executed AS g');
          await r.query('UNLOCK TABLES');
        } else {
          await c.query('STOP REPLICA SQL_THREAD');
          await r.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
          await r.query('SELECT @@GLOBAL.gtid_executed AS g');
          await c.query('START REPLICA SQL_THREAD');
        }
        await r.query('COMMIT');
      })();
      await new Promise((s) => setTimeout(s, 100));
      const t2 = performance.now();
      await reader.query('SELECT COUNT(*) AS n FROM app.snapshot_probe');
      readerWait[way].push(performance.now() - t2);
      await Promise.all([long, taking]);
    }
  }
  writing = false;
  await writer;
  await Promise.all([m.close(), w.close(), r.close(), c.close(), longer.close(), reader.close()]);
  process.stdout.write(`  ${SNAPSHOTS} snapshots on ${replica!.version ?? 'mysql'}: the table matched ${tableMatches} (behind ${tableBehind}); under the lock ${lockMatches} matched, the lock held ${round(median(held))} ms median, ${round(max(held))} ms max; with the applier paused ${pauseMatches} matched, paused ${round(median(paused))} ms median, ${round(max(paused))} ms max; ${seq} writes\n`);
  process.stdout.write(`  a reader beside a 1 s query (${ROUNDS} rounds): waited ${round(median(readerWait.lock))} ms median under the lock, ${round(median(readerWait.pause))} ms with the applier paused\n`);
  writeResult('mysql-snapshot-position', {
    compared_against: "mysql.gtid_executed read inside the snapshot (MariaDB's way with mysql.gtid_slave_pos), and the global read lock verify used before the applier pause",
    runs: SNAPSHOTS,
    metrics: {
      table_exact_snapshots: tableMatches,
      table_behind_snapshots: tableBehind,
      lock_exact_snapshots: lockMatches,
      lock_held_ms_p50: round(median(held)),
      lock_held_ms_max: round(max(held)),
      pause_exact_snapshots: pauseMatches,
      applier_paused_ms_p50: round(median(paused)),
      applier_paused_ms_max: round(max(paused)),
      reader_wait_ms_p50_lock: round(median(readerWait.lock)),
      reader_wait_ms_p50_pause: round(median(readerWait.pause)),
      writes: seq,
    },
    targets: { pause_exact_snapshots: `${SNAPSHOTS}` },
    samples: { lock_held_ms: held.map((h) => round(h)), applier_paused_ms: paused.map((h) => round(h)), reader_wait_ms_lock: readerWait.lock.map((h) => round(h)), reader_wait_ms_pause: readerWait.pause.map((h) => round(h)) },
    notes: [
      `a replica of MySQL ${replica!.version ?? '9.7'} (binlog and log_replica_updates on, replica_parallel_workers 4) applying one write per millisecond`,
      'exact = the GTID position the snapshot claims ends where the rows the snapshot sees end',
      'lock_held = FLUSH TABLES WITH READ LOCK to UNLOCK TABLES, as the client saw it: how long the applier waited',
      'applier_paused = STOP REPLICA SQL_THREAD sent to START REPLICA SQL_THREAD answered, as the client saw it',
      'reader_wait = a SELECT on a table sent 100 ms after the position-taking began, while a 1 s query runs on that table: how long it took',
    ],
  });
} finally {
  await sandboxDown(deps, dir);
  await rm(base, { recursive: true, force: true });
}
