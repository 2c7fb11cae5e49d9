/**
 * Online switchover under continuous writes (issue 5), on each engine (bench/lib/engines.ts:
 * MariaDB 10.11 and MySQL 9.7 by default, BENCH_ENGINES narrows): a sandbox cluster stands for one
 * shard (real servers, MyDNS, PowerDNS); a client writes every 2 ms through the weighted resolver
 * on a new connection each time; the master is switched back and forth repeatedly.
 * Reports the executor's write-blocked time (old master read-only -> writer record moved) and the
 * longest gap between two acknowledged client writes around each switch, and lost writes.
 * Compared against MHA's online switch (0.5-2 s of blocked writes) and the target
 * (median < 100 ms, max < 500 ms, zero lost). MariaDB's figures stay at metrics.<name>, MySQL's
 * are at metrics.mysql.<name>.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/core/logger.js';
import { connectAdmin } from '../src/mysql/connect-admin.js';
import { openSession } from '../src/mysql/mysql2-session.js';
import { sandboxUp } from '../src/sandbox/sandbox-up.js';
import { sandboxDown } from '../src/sandbox/sandbox-down.js';
import { localSandboxDeps } from '../src/sandbox/local-sandbox-deps.js';
import { readPasswords } from '../src/sandbox/sandbox-secrets.js';
import { requireState } from '../src/sandbox/sandbox-state.js';
import { DowntimeMeter } from '../src/failover/meter/downtime-meter.js';
import { resolverLookup } from '../src/failover/meter/name-lookups.js';
import { onlineSwitchover } from '../src/shard/switchover/online-switchover.js';
import { missingWrites } from '../src/failover/meter/lost-writes.js';
import type { EngineKind } from '../src/shard/mysqld/mysqld-engine.js';
import { benchEngine, benchEngines, putForEngine } from './lib/engines.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const SWITCHES = Number(process.env.BENCH_SWITCHES ?? 12);
const logger = createLogger({ level: 'warn' });
const deps = localSandboxDeps(logger);
const host = deps.host;

interface EngineRun {
  blocked: number[];
  gaps: number[];
  lost: number;
  acknowledged: number;
  version: string;
}

async function runOn(kind: EngineKind): Promise<EngineRun> {
  const base = await mkdtemp(join(tmpdir(), 'dbf-bench-sw-'));
  const dir = join(base, 's');
  try {
    await sandboxUp(deps, { dir, clusters: 1, readers: 2, engine: benchEngine(kind) });
    const state = await requireState(dir);
    const pw = await readPasswords(host, dir);
    const dnsEndpoint = { host: state.dnsDb.host, port: 3306, user: 'dbfleet', password: pw.dbfleet, database: 'mydns' };
    const members = state.clusters[0]!.instances.map((i) => ({ id: i.id, host: i.host, port: i.port }));
    const lookup = resolverLookup(dnsEndpoint, state.dns.zone, openSession);
    const client = `bench-${process.pid}-${kind}`;
    const meter = new DowntimeMeter({ writerName: 'aurora-test-1-w', readerName: 'aurora-test-1-r', account: { user: 'app', password: pw.app, database: 'app', table: 'writes', port: 3306 }, intervalMs: 2, timeouts: { connectTimeoutMs: 300, queryTimeoutMs: 1_000 }, client, lookup, openSession });
    const stop = new AbortController();
    const running = meter.run(stop.signal);
    const blocked: number[] = [];
    const gaps: number[] = [];
    let master = members[0]!;
    let candidate = members[1]!;
    const other = members[2]!;
    await new Promise((r) => setTimeout(r, 500));
    for (let k = 0; k < SWITCHES; k++) {
      const before = meter.report().writes.length;
      const report = await onlineSwitchover(
        { shard: 'aurora-test-1', writerName: 'aurora-test-1-w', readerName: 'aurora-test-1-r', zone: state.dns.zone, master, candidate, replicas: [other], admin: { user: 'dbfleet', password: pw.dbfleet }, repl: { user: 'repl', password: pw.repl }, appUsers: ['app'] },
        { connect: connectAdmin, openDns: () => openSession(dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 }), logger, actor: 'bench' },
      );
      await new Promise((r) => setTimeout(r, 400));
      // the longest gap between two acknowledged writes around this switch, as the client saw it
      const ok = meter.report().writes.slice(Math.max(0, before - 1)).filter((w) => w.ok);
      let gap = 0;
      for (let i = 1; i < ok.length; i++) gap = Math.max(gap, ok[i]!.end - ok[i - 1]!.end);
      blocked.push(report.writeBlockedMs);
      gaps.push(gap);
      process.stdout.write(`  ${kind} switchover ${k + 1}: ${master.id} -> ${candidate.id}: writes blocked ${report.writeBlockedMs} ms, client gap ${gap} ms\n`);
      [master, candidate] = [candidate, master];
      await new Promise((r) => setTimeout(r, 300));
    }
    stop.abort();
    const final = await running;
    const writer = await lookup.resolve('aurora-test-1-w');
    await lookup.close();
    const lost = (await missingWrites(openSession, { host: writer, port: 3306, user: 'app', password: pw.app, database: 'app' }, 'writes', client, final.acknowledged)).length;
    return { blocked, gaps, lost, acknowledged: final.acknowledged.length, version: state.clusters[0]!.instances[0]!.version ?? 'unknown' };
  } finally {
    await sandboxDown(deps, dir);
    await rm(base, { recursive: true, force: true });
  }
}

const metrics: Record<string, unknown> = {};
const samples: Record<string, unknown> = {};
const versions: string[] = [];
for (const kind of benchEngines()) {
  const r = await runOn(kind);
  versions.push(`${kind} ${r.version}`);
  putForEngine(metrics, kind, {
    write_block_ms_p50: round(median(r.blocked)),
    write_block_ms_max: round(max(r.blocked)),
    client_write_gap_ms_p50: round(median(r.gaps)),
    client_write_gap_ms_max: round(max(r.gaps)),
    lost_writes: r.lost,
    acknowledged_writes: r.acknowledged,
  });
  putForEngine(samples, kind, { write_block_ms: r.blocked, client_write_gap_ms: r.gaps });
}
writeResult('switchover', {
  compared_against: 'MHA online switch: 0.5-2 s of blocked writes; issue 5 target: median < 100 ms, max < 500 ms, zero lost writes',
  runs: SWITCHES,
  metrics: metrics as Record<string, number | Record<string, number>>,
  targets: { write_block_ms_p50: '< 100', write_block_ms_max: '< 500', lost_writes: '0' },
  samples: samples as Record<string, number[] | Record<string, number[]>>,
  notes: [
    'write_block = the executor sets read_only on the old master -> the writer record names the new one (the window in which no client write can succeed)',
    'client_write_gap = the longest time between two acknowledged writes of a client writing every 2 ms on a new connection through the weighted resolver',
    `a sandbox cluster (a master and two replicas, GTID replication) stands for one shard, once per engine: ${versions.join(', ')}; MariaDB's figures at metrics.<name>, MySQL's at metrics.mysql.<name>; no checker runs beside it`,
  ],
});
