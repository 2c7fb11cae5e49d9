/**
 * Scale: ONE `dbfleet checker run` process watching 4,000 instances (1,000 clusters of 4) at a
 * 1 s interval. The instances are a lightweight MySQL-protocol responder (bench/lib/fake-mysql,
 * in its own process), because 4,000 real mysqld cannot run on a 2-core machine; the MyDNS
 * database and PowerDNS are real (a sandbox's). Measures the checker's CPU and RSS, how often each
 * instance really gets probed, and how fast a failover in one cluster is applied.
 * Targets (issue 4): every round within the interval, < 0.5 core, < 300 MB, failover applied
 * within two intervals.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { createLogger } from '../src/core/logger.js';
import { planClusterRegistration } from '../src/dns/cluster-records.js';
import { applyChangeSet } from '../src/dns/record-store.js';
import { directResolver, queryA } from '../src/dns/dns-query.js';
import { openSession } from '../src/mysql/mysql2-session.js';
import { readPasswords } from '../src/sandbox/sandbox-secrets.js';
import { requireState } from '../src/sandbox/sandbox-state.js';
import { sandboxDown } from '../src/sandbox/sandbox-down.js';
import { sandboxUp } from '../src/sandbox/sandbox-up.js';
import { localSandboxDeps } from '../src/sandbox/local-sandbox-deps.js';
import { spawnFakeFleet } from './lib/fake-mysql/fleet-child.js';
import { max, median, round } from './lib/stats.js';
import { writeResult } from './lib/result.js';

const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 1000);
const PER_CLUSTER = 4;
const INTERVAL_MS = 1000;
const MEASURE_S = Number(process.env.BENCH_MEASURE_S ?? 20);
const FAILOVERS = 3;
const logger = createLogger({ level: 'warn' });
const deps = localSandboxDeps(logger);
const host = deps.host;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

const base = await mkdtemp(join(tmpdir(), 'dbf-bench-scale-'));
const dir = join(base, 's');
const fleet = await spawnFakeFleet({ clusters: CLUSTERS, instancesPerCluster: PER_CLUSTER, flavour: 'aurora-mysql-3' });
let checker: ReturnType<typeof spawn> | undefined;
try {
  await sandboxUp(deps, { dir, clusters: 1, readers: 0 });
  const state = await requireState(dir);
  const { dbfleet } = await readPasswords(host, dir);
  const dnsEndpoint = { host: state.dnsDb.host, port: 3306, user: 'dbfleet', password: dbfleet, database: 'mydns' };
  const byCluster = new Map<string, typeof fleet.instances[number][]>();
  for (const i of fleet.instances) byCluster.set(i.cluster, [...(byCluster.get(i.cluster) ?? []), i]);
  const clusters = [...byCluster.entries()].map(([name, instances]) => ({ name, instances }));

  // Register every cluster's records (writer record -> the writer; reader record -> all).
  const s = await openSession(dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 60_000 });
  for (let k = 0; k < clusters.length; k += 100) {
    const ops = clusters.slice(k, k + 100).flatMap((c) =>
      planClusterRegistration({ writerName: `${c.name}-w`, readerName: `${c.name}-r`, writer: c.instances[0]!.host, readers: c.instances.slice(1).map((i) => i.host), ttl: 1 }),
    );
    await applyChangeSet(s, state.dns.zone, ops, { actor: 'bench', why: 'register' }, { timeoutMs: 60_000 });
  }
  await s.close();

  const httpPort = 19500 + Math.floor(Math.random() * 400);
  const doc = parse(await readFile(state.config, 'utf8')) as Record<string, unknown>;
  doc.checker = { ...(doc.checker as object), interval_ms: INTERVAL_MS, connect_timeout_ms: 1000, query_timeout_ms: 1000, http_port: httpPort, ...(process.env.BENCH_CHECKER ? JSON.parse(process.env.BENCH_CHECKER) : {}) };
  doc.clusters = clusters.map((c) => ({ name: c.name, engine: 'aurora-mysql', writer_record: `${c.name}-w`, reader_record: `${c.name}-r`, instances: c.instances.map((i) => ({ id: i.id, host: i.host, port: i.port })) }));
  const cfg = join(dir, 'scale.yaml');
  await writeFile(cfg, stringify(doc));

  const started = Date.now();
  checker = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=32 --max-old-space-size=192').split(' ').filter(Boolean), join(process.cwd(), 'bin', 'dbfleet.js'), 'checker', 'run', '--config', cfg], { env: { ...process.env, DBFLEET_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const pid = checker.pid!;
  const total = CLUSTERS * PER_CLUSTER;
  for (;;) {
    await sleep(500);
    const probes = await metric(httpPort, 'dbfleet_probe_latency_ms_count').catch(() => 0);
    if (probes >= total * 2) break;
    if (Date.now() - started > 120_000) throw new Error(`checker did not probe all ${total} instances within 120 s (${probes} probes)`);
  }
  const warmupMs = Date.now() - started;
  await sleep(3_000);

  // Steady state: CPU, RSS, probes per instance per interval.
  const cpu0 = cpuSeconds(pid);
  const probes0 = await metric(httpPort, 'dbfleet_probe_latency_ms_count');
  const t0 = performance.now();
  const rss: number[] = [];
  const perSecond: number[] = [];
  let last = probes0;
  for (let k = 0; k < MEASURE_S; k++) {
    await sleep(1_000);
    rss.push(rssMb(pid));
    const p = await metric(httpPort, 'dbfleet_probe_latency_ms_count');
    perSecond.push(p - last);
    last = p;
  }
  const wallS = (performance.now() - t0) / 1000;
  const cores = (cpuSeconds(pid) - cpu0) / wallS;
  const failures = await metric(httpPort, 'dbfleet_probe_failures_total');
  const memText = (await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).split('\n').filter((l) => l.startsWith('dbfleet_process_memory_bytes'));
  process.stdout.write(`${memText.join('\n')}\n`);
  if (process.env.BENCH_HEAPSNAPSHOT) {
    process.kill(pid, 'SIGUSR2');
    await sleep(15_000);
  }
  // the mean time between two probes of one instance, from the probe rate in each second
  const roundMs = perSecond.map((n) => (total / n) * 1000);

  // Failover in one cluster: promote a reader on the responder; time until DNS answers it.
  const [dnsHost, dnsPort] = (state.dns.server ?? '').split(':');
  const resolver = directResolver(dnsHost!, Number(dnsPort), 300);
  const applyMs: number[] = [];
  for (let k = 0; k < FAILOVERS; k++) {
    const c = clusters[Math.floor((k + 1) * clusters.length / (FAILOVERS + 1))]!;
    const target = c.instances[(k % (PER_CLUSTER - 1)) + 1]!;
    const t = Date.now();
    await fleet.promote(target.id);
    for (;;) {
      const a = await queryA(resolver, `${c.name}-w.${state.dns.zone.replace(/\.$/, '')}`).catch(() => []);
      if (a.length === 1 && a[0]!.address === target.host) break;
      if (Date.now() - t > 30_000) throw new Error(`failover of ${c.name} not applied within 30 s`);
      await sleep(5);
    }
    applyMs.push(Date.now() - t);
    await sleep(3_500); // past the anti-flapping window
  }

  writeResult('checker-scale', {
    compared_against: 'issue 4 targets: every round within the 1 s interval, < 0.5 core, < 300 MB RSS, a failover applied within two intervals (2000 ms)',
    runs: MEASURE_S,
    metrics: {
      instances: total,
      clusters: CLUSTERS,
      interval_ms: INTERVAL_MS,
      round_ms_p50: round(median(roundMs)),
      round_ms_max: round(max(roundMs)),
      cpu_cores: round(cores, 3),
      rss_mb: round(max(rss), 1),
      failover_apply_ms: round(max(applyMs)),
      failover_apply_ms_p50: round(median(applyMs)),
      probe_failures: failures,
      warmup_ms: warmupMs,
    },
    targets: { round_ms_p50: '<= 1000 (+ probe latency)', cpu_cores: '< 0.5', rss_mb: '< 300', failover_apply_ms: '< 2000' },
    samples: { probes_per_second: perSecond, rss_mb: rss.map((x) => round(x, 1)), failover_apply_ms: applyMs },
    notes: [
      'instances are bench/lib/fake-mysql (a MySQL-protocol responder in its own process), because 4,000 mysqld cannot run on this 2-core machine; MyDNS (mariadbd) and PowerDNS are real',
      'round_ms = the mean time between two probes of one instance, from the probe rate (instances / probes per second), per 1 s window',
      'cpu_cores and rss_mb are the checker process only (utime+stime from /proc over the window; max VmRSS)',
      'failover_apply_ms = responder promotes a reader -> PowerDNS answers it for the writer name',
      'the checker runs as scripts/dbfleet-checker.service runs it: node --max-semi-space-size=32 --max-old-space-size=192 (without them: ~0.5 core, ~400 MB RSS, mostly uncollected garbage)',
    ],
  });
} finally {
  checker?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 1500));
  await fleet.shutdown();
  await sandboxDown(deps, dir);
  await rm(base, { recursive: true, force: true });
}
