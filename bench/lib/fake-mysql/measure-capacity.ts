/**
 * Measures what the fake fleet costs under a checker-like load, and compares it with the same
 * responder built on mysql2's own server (mysql2-candidate-process.ts):
 *
 *   node --import tsx bench/lib/fake-mysql/measure-capacity.ts [--impl minimal|mysql2]
 *        [--instances 4000] [--qps 4000] [--new-per-s 400] [--seconds 15]
 *
 * The responder runs as a child; this process is the load: one persistent mysql2 connection per
 * instance, role queries spread evenly at --qps, and --new-per-s fresh connections per second
 * that run the version query and drop (the prober's "prove a NEW connection works").
 * The responder's CPU and RSS are read from /proc/<pid>. Prints one JSON summary line.
 *
 * Measured on the 2-core dev machine (Node 20.20), 4,000 instances, 20 s windows:
 * - target load (4,000 role queries/s + 400 new connections/s, each with the version query):
 *   sustained with 0 errors; responder 0.12 cores, RSS 162 MB, its event loop late by 5 ms at
 *   p99 (28 ms max); client-seen latency p50 1.3 ms, p99 17 ms. Opening all 4,000: 0.8 s.
 * - 30,000 queries/s: responder 0.34 cores, 142 MB (the load generator, at 1 core, was the limit).
 * - 1,000 new connections/s: responder 0.11 cores, 183 MB.
 * - mysql2.createServer, rejected: at 1,000 instances and 1,000 queries/s + 100 connections/s it
 *   took 0.25 cores and 1,376 MB RSS (this responder: 0.07 cores, 114 MB); at 4,000 instances it
 *   died at V8's 4 GB heap limit. Each server-side connection preallocates mysql2's 16,000-entry
 *   prepared-statement LRU (~540 KB), and it does not reset sequence ids per command, so both
 *   ends log "got packets out of order" on every query.
 * The load generator sets maxPreparedStatements: 16 for the same reason: with mysql2's default,
 * every client connection costs ~540 KB RSS and its zero-filling dominated the generator's CPU.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mysql from 'mysql2';
import { VERSION_QUERY } from '../../../src/mysql/server-version.js';
import { spawnFakeFleet } from './fleet-child.js';
import { addressOf } from './fleet-config.js';

interface Args {
  impl: 'minimal' | 'mysql2';
  instances: number;
  qps: number;
  newPerS: number;
  seconds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { impl: 'minimal', instances: 4000, qps: 4000, newPerS: 400, seconds: 15 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1] ?? ''];
    if (k === '--impl' && (v === 'minimal' || v === 'mysql2')) a.impl = v;
    else if (k === '--instances') a.instances = Number(v);
    else if (k === '--qps') a.qps = Number(v);
    else if (k === '--new-per-s') a.newPerS = Number(v);
    else if (k === '--seconds') a.seconds = Number(v);
    else throw new Error(`unknown or bad argument ${k} ${v}`);
  }
  return a;
}

const CLK_TCK = 100;

function procCpuSeconds(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function procMemMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1] ? Math.round(Number(m[1]) / 1024) : NaN;
}

interface Responder {
  pid: number;
  stop(): Promise<void>;
  /** The responder's event-loop delay since the last call (the minimal responder reports it). */
  loopDelay?: () => Promise<{ p50: number; p99: number; max: number }>;
}

async function startResponder(args: Args): Promise<Responder & { secondOctet: number }> {
  if (args.impl === 'minimal') {
    const fleet = await spawnFakeFleet({ clusters: args.instances, instancesPerCluster: 1, addressing: { kind: 'loopback-addresses', secondOctet: 245, port: 3306 } });
    return {
      pid: fleet.pid,
      secondOctet: 245,
      stop: () => fleet.shutdown(),
      loopDelay: async () => (await fleet.stats(undefined, { resetEventLoop: true })).process.eventLoopDelayMs,
    };
  }
  const script = join(dirname(fileURLToPath(import.meta.url)), 'mysql2-candidate-process.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ instances: args.instances, secondOctet: 246 })], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`mysql2 candidate exited ${code}`)));
  });
  return {
    pid: child.pid ?? 0,
    secondOctet: 246,
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin.end();
    }),
  };
}

type Conn = ReturnType<typeof mysql.createConnection>;

function connect(host: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const c = mysql.createConnection({ host, port: 3306, user: 'bench', password: 'bench', connectTimeout: 10_000, maxPreparedStatements: 16 });
    c.on('error', () => undefined);
    c.connect((err) => (err ? reject(err) : resolve(c)));
  });
}

/** A monitorEventLoopDelay sample (ns, including its 10 ms period) as lateness in ms. */
function lateMs(ns: number): number {
  return Math.max(0, Math.round((ns - 10e6) / 1e4) / 100);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const responder = await startResponder(args);
  const startMs = performance.now() - t0;
  const hosts = Array.from({ length: args.instances }, (_, k) => addressOf({ kind: 'loopback-addresses', secondOctet: responder.secondOctet, port: 3306 }, k).host);

  // Connect phase: every instance once, 200 handshakes in flight at a time.
  const cpuBeforeConnect = procCpuSeconds(responder.pid);
  const t1 = performance.now();
  const conns: Conn[] = new Array<Conn>(hosts.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      while (next < hosts.length) {
        const k = next++;
        conns[k] = await connect(hosts[k] ?? '');
      }
    }),
  );
  const connectMs = performance.now() - t1;
  const connectCpu = procCpuSeconds(responder.pid) - cpuBeforeConnect;

  // Steady phase: role queries at args.qps plus fresh connections at args.newPerS.
  const latencies: number[] = [];
  let done = 0;
  let errors = 0;
  let fresh = 0;
  let freshErrors = 0;
  let cursor = 0;
  let freshCursor = 0;
  let sentQueries = 0;
  let sentFresh = 0;
  await responder.loopDelay?.();
  const ownLoop = monitorEventLoopDelay({ resolution: 10 });
  ownLoop.enable();
  const cpuBefore = procCpuSeconds(responder.pid);
  const selfBefore = process.cpuUsage();
  const t2 = performance.now();
  // Owed work follows the clock, not the tick count: late ticks catch up instead of losing load.
  const timer = setInterval(() => {
    const elapsed = (performance.now() - t2) / 1000;
    while (sentQueries < elapsed * args.qps) {
      sentQueries += 1;
      const c = conns[cursor];
      cursor = (cursor + 1) % conns.length;
      const sent = performance.now();
      c?.query('SELECT @@innodb_read_only AS ro', (err) => {
        if (err) errors += 1;
        else latencies.push(performance.now() - sent);
        done += 1;
      });
    }
    while (sentFresh < elapsed * args.newPerS) {
      sentFresh += 1;
      const host = hosts[freshCursor] ?? '';
      freshCursor = (freshCursor + 1) % hosts.length;
      connect(host)
        .then(
          (c) =>
            new Promise<void>((resolve) => {
              c.query(VERSION_QUERY, (err) => {
                if (err) freshErrors += 1;
                c.destroy();
                resolve();
              });
            }),
        )
        .catch(() => {
          freshErrors += 1;
        })
        .finally(() => {
          fresh += 1;
        });
    }
  }, 10);
  await new Promise((r) => setTimeout(r, args.seconds * 1000));
  clearInterval(timer);
  const elapsedS = (performance.now() - t2) / 1000;
  const cpu = procCpuSeconds(responder.pid) - cpuBefore;
  const self = process.cpuUsage(selfBefore);
  const rssMb = procMemMb(responder.pid, 'VmRSS');
  const peakRssMb = procMemMb(responder.pid, 'VmHWM');
  const responderLoop = await responder.loopDelay?.();
  ownLoop.disable();
  await new Promise((r) => setTimeout(r, 500));
  latencies.sort((a, b) => a - b);

  for (const c of conns) c.destroy();
  await responder.stop();
  const summary = {
    impl: args.impl,
    instances: args.instances,
    responder_start_ms: Math.round(startMs),
    connect_all_ms: Math.round(connectMs),
    connect_all_responder_cpu_s: Number(connectCpu.toFixed(2)),
    target_qps: args.qps,
    achieved_qps: Math.round(done / elapsedS),
    query_errors: errors,
    latency_ms_p50: Number(percentile(latencies, 50).toFixed(2)),
    latency_ms_p99: Number(percentile(latencies, 99).toFixed(2)),
    latency_ms_max: Number((latencies[latencies.length - 1] ?? NaN).toFixed(2)),
    new_connections_per_s: Math.round(fresh / elapsedS),
    new_connection_errors: freshErrors,
    responder_cpu_cores: Number((cpu / elapsedS).toFixed(3)),
    responder_rss_mb: rssMb,
    responder_peak_rss_mb: peakRssMb,
    responder_event_loop_delay_ms: responderLoop ?? 'not reported',
    load_generator_event_loop_delay_ms: { p99: lateMs(ownLoop.percentile(99)), max: lateMs(ownLoop.max) },
    load_generator_cpu_cores: Number(((self.user + self.system) / 1e6 / elapsedS).toFixed(3)),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
