/**
 * DNS propagation: how long from a record change committing in the MyDNS database until PowerDNS
 * answers the new state, and what one weighted-resolver pick costs.
 *
 * Real processes: one mariadbd holding the MyDNS tables and one pdns_server serving them with
 * dbfleet's configuration (every cache off). Each run commits one change through the record store
 * (alternately a reader drain/restore and a writer replacement), then queries PowerDNS in a tight
 * loop until the answer is the new one. Compared against PowerDNS with its default caches, run
 * here the same way for a few rounds, and the seed's Aurora endpoint DNS updates (11-28 s).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../src/host/local-host.js';
import { MysqldManager } from '../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../src/shard/mysqld/mysqld-spec.js';
import { openSession } from '../src/mysql/mysql2-session.js';
import { registerCluster } from '../src/dns/cluster-records.js';
import { directResolver, queryA } from '../src/dns/dns-query.js';
import { renderPdnsConfig } from '../src/dns/pdns-config.js';
import { pdnsFiles, startPowerDns, stopPowerDns } from '../src/dns/pdns-process.js';
import { replaceWriter, setTtl, setWeight } from '../src/dns/record-store.js';
import { initSchema } from '../src/dns/schema-init.js';
import { createTableReader } from '../src/dns/table-reader.js';
import { WeightedResolver } from '../src/dns/weighted-resolver.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const BASELINE_RUNS = Number(process.env.BENCH_BASELINE_RUNS ?? 3);
const PICK_BATCHES = 30;
const PICKS_PER_BATCH = 20_000;
const ZONE = 'bench.dbfleet.internal.';
const W = `aurora-test-w.${ZONE}`;
const R = `aurora-test-r.${ZONE}`;
const who = { actor: 'bench', why: 'dns-propagation benchmark' };

const host = new LocalHost();
const manager = new MysqldManager(host);
const base = await mkdtemp(join(tmpdir(), 'dbf-bench-dns-'));
const address = `127.54.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
const spec: MysqldSpec = { name: 'mydns', baseDir: base, bindAddress: address, port: 3306, serverId: 53, bufferPoolMb: 32, readOnly: false, runAsRoot: process.getuid?.() === 0 };
const password = `bench-${Math.random().toString(36).slice(2)}`;
const pdnsPids: { pid: number; dir: string }[] = [];
let dbPid: number | undefined;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls PowerDNS until `done(answer)` holds; returns ms since `from`. */
async function waitAnswer(resolver: ReturnType<typeof directResolver>, name: string, done: (addresses: string[]) => boolean, from: number, limitMs: number): Promise<number> {
  for (;;) {
    const now = performance.now();
    if (now - from > limitMs) throw new Error(`${name}: answer did not change within ${limitMs} ms`);
    try {
      if (done((await queryA(resolver, name)).map((a) => a.address))) return performance.now() - from;
    } catch {
      // SERVFAIL or timeout: keep polling
    }
  }
}

/** Starts pdns_server with PowerDNS's default cache settings (for the baseline only). */
async function startDefaultCachePdns(port: number): Promise<number> {
  const dir = join(base, 'pdns-default-caches');
  await host.mkdir(dir, 0o700);
  const text = renderPdnsConfig({ port, address: '127.0.0.1', zone: ZONE, socketDir: dir, db: { host: address, port: 3306, user: 'dbfleet', password, dbname: 'mydns' } })
    .split('\n')
    .filter((l) => !/^(cache-ttl|query-cache-ttl|negquery-cache-ttl)=/.test(l))
    .join('\n');
  await host.writeFile(pdnsFiles(dir).configFile, text, 0o600);
  const { pid } = await host.spawnDetached('pdns_server', [`--config-dir=${dir}`], { logFile: pdnsFiles(dir).logFile });
  pdnsPids.push({ pid, dir });
  const r = directResolver('127.0.0.1', port, 300);
  await waitAnswer(r, W, (a) => a.length === 1, performance.now(), 15_000);
  return pid;
}

try {
  await manager.createTemplate(spec, `CREATE DATABASE mydns;\nCREATE USER 'dbfleet'@'%' IDENTIFIED BY '${password}';\nGRANT ALL PRIVILEGES ON *.* TO 'dbfleet'@'%';`);
  dbPid = (await manager.start(spec)).pid;
  const connect = () => openSession({ host: address, port: 3306, user: 'dbfleet', password, database: 'mydns' }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
  const session = await connect();
  await initSchema(session, { zone: ZONE });
  await registerCluster(session, ZONE, { writerName: 'aurora-test-w', readerName: 'aurora-test-r', writer: '127.0.10.1', readers: ['127.0.10.2', '127.0.10.3'], ttl: 1 }, who);

  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const pdnsDir = join(base, 'pdns');
  const pdns = await startPowerDns(host, { dir: pdnsDir, port, address: '127.0.0.1', zone: ZONE, db: { host: address, port: 3306, user: 'dbfleet', password, dbname: 'mydns' } });
  pdnsPids.push({ pid: pdns.pid, dir: pdnsDir });
  const resolver = directResolver('127.0.0.1', port, 500);

  // --- commit -> answer, dbfleet's PowerDNS settings ---
  const commitToAnswer: number[] = [];
  const storeCommit: number[] = [];
  const kinds: string[] = [];
  let writer = '127.0.10.1';
  let drained = false;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    if (i % 2 === 0) {
      await setWeight(session, ZONE, 'aurora-test-r', '127.0.10.2', drained ? 0 : 100, drained ? 100 : 0, who);
      drained = !drained;
      const committed = performance.now();
      const want = drained ? ['127.0.10.3'] : ['127.0.10.2', '127.0.10.3'];
      commitToAnswer.push(await waitAnswer(resolver, R, (a) => a.join() === want.join(), committed, 10_000));
      storeCommit.push(committed - t0);
      kinds.push('set-weight');
    } else {
      const next = writer === '127.0.10.1' ? '127.0.10.3' : '127.0.10.1';
      await replaceWriter(session, ZONE, 'aurora-test-w', writer, next, who);
      writer = next;
      const committed = performance.now();
      commitToAnswer.push(await waitAnswer(resolver, W, (a) => a.join() === next, committed, 10_000));
      storeCommit.push(committed - t0);
      kinds.push('replace-writer');
    }
    await sleep(20);
  }

  // --- baseline: the same with PowerDNS's default caches ---
  const baselinePort = port + 1;
  await startDefaultCachePdns(baselinePort);
  const baseline: number[] = [];
  const baselineResolver = directResolver('127.0.0.1', baselinePort, 500);
  for (let i = 0; i < BASELINE_RUNS; i++) {
    // warm the cache with the current answer, as live traffic would
    await queryA(baselineResolver, W);
    const next = writer === '127.0.10.1' ? '127.0.10.3' : '127.0.10.1';
    await replaceWriter(session, ZONE, 'aurora-test-w', writer, next, who);
    writer = next;
    const committed = performance.now();
    baseline.push(await waitAnswer(baselineResolver, W, (a) => a.join() === next, committed, 60_000));
  }

  // --- one resolver pick: cached (TTL long enough not to expire mid-batch), and uncached ---
  await setTtl(session, ZONE, 'aurora-test-r', 1, 600, who);
  const weighted = new WeightedResolver({ source: createTableReader({ connect, zone: ZONE }) });
  await weighted.resolve('aurora-test-r');
  const pickUs: number[] = [];
  for (let b = 0; b < PICK_BATCHES; b++) {
    const t = performance.now();
    for (let i = 0; i < PICKS_PER_BATCH; i++) await weighted.resolve('aurora-test-r');
    pickUs.push(((performance.now() - t) * 1000) / PICKS_PER_BATCH);
  }
  const uncachedUs: number[] = [];
  for (let i = 0; i < 200; i++) {
    weighted.invalidate('aurora-test-r');
    const t = performance.now();
    await weighted.resolve('aurora-test-r');
    uncachedUs.push((performance.now() - t) * 1000);
  }
  await weighted.close();
  await session.close();

  writeResult('dns-propagation', {
    compared_against:
      'PowerDNS with its default caches (cache-ttl 20, query-cache-ttl 20), same machine and procedure; the seed measured 11-28 s of writer and 12-27 s of reader downtime with Aurora endpoint DNS updates',
    runs: RUNS,
    metrics: {
      commit_to_answer_ms_p50: round(median(commitToAnswer), 2),
      commit_to_answer_ms_max: round(max(commitToAnswer), 2),
      store_commit_ms_p50: round(median(storeCommit), 2),
      default_caches_commit_to_answer_ms_p50: round(median(baseline), 0),
      speedup_vs_default_caches: round(median(baseline) / median(commitToAnswer), 0),
      resolver_pick_us_p50: round(median(pickUs), 3),
      resolver_uncached_pick_us_p50: round(median(uncachedUs), 0),
    },
    targets: { commit_to_answer_ms_p50: '< 50 (a change is the next answer)', resolver_pick_us_p50: '< 10 (cached pick)' },
    samples: {
      commit_to_answer_ms: commitToAnswer.map((x) => round(x, 2)),
      store_commit_ms: storeCommit.map((x) => round(x, 2)),
      default_caches_commit_to_answer_ms: baseline.map((x) => round(x, 0)),
      resolver_pick_us_per_batch: pickUs.map((x) => round(x, 3)),
      resolver_uncached_pick_us: uncachedUs.map((x) => round(x, 0)),
    },
    notes: [
      `runs alternate a reader drain/restore (set-weight) and a writer replacement: ${kinds.filter((k) => k === 'set-weight').length} + ${kinds.filter((k) => k === 'replace-writer').length}`,
      'commit_to_answer: from the record store returning (COMMIT done) until a direct query to PowerDNS returns the new answer; PowerDNS is polled back to back, so the figure includes one DNS round trip',
      'store_commit: one compare-and-swap change set (lock soa, lock rows, update, bump serial, audit, COMMIT)',
      `resolver_pick: median over ${PICK_BATCHES} batches of ${PICKS_PER_BATCH} cached picks; uncached: the cache invalidated before each pick (one query of the MyDNS tables)`,
      'one mariadbd (32 MB buffer pool) and one pdns_server on loopback, both idle otherwise',
    ],
  });
} finally {
  for (const p of pdnsPids) await stopPowerDns(host, p.pid, { configDir: p.dir }).catch(() => undefined);
  if (dbPid !== undefined) await manager.stopPid(dbPid, 10_000).catch(() => undefined);
  await rm(base, { recursive: true, force: true });
}
