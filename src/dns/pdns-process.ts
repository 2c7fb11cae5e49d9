import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import { MissingDependencyError, StateError, TimeoutError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Host } from '../host/host.js';
import { directResolver, serverAddress } from './dns-query.js';
import { normalizeZone } from './dns-names.js';
import { renderPdnsConfig, type PdnsDb } from './pdns-config.js';

/**
 * Starting and stopping one pdns_server that serves the MyDNS tables. The config (with the
 * database password) is a 0600 file in `dir`; the command line carries only --config-dir.
 */
export interface PowerDnsOptions {
  /** Holds pdns.conf, the control socket and pdns.log. */
  dir: string;
  port: number;
  address: string;
  db: PdnsDb;
  zone: string;
  /** How long to wait for a real SOA answer (default 15 s). */
  readyTimeoutMs?: number;
  dbTimeoutS?: number;
  binary?: string;
  logger?: Logger;
  clock?: Clock;
}

export interface PowerDnsProcess {
  pid: number;
  /** "127.0.0.1:15353" */
  server: string;
  configFile: string;
  logFile: string;
}

const BINARY = 'pdns_server';

export function pdnsFiles(dir: string): { configFile: string; logFile: string } {
  return { configFile: join(dir, 'pdns.conf'), logFile: join(dir, 'pdns.log') };
}

export async function startPowerDns(host: Host, o: PowerDnsOptions): Promise<PowerDnsProcess> {
  const clock = o.clock ?? systemClock;
  const log = (o.logger ?? silentLogger).child({ pdns: serverAddress(o.address, o.port) });
  const binary = o.binary ?? BINARY;
  if ((await host.which(binary)) === undefined) {
    throw new MissingDependencyError(`${binary} is not installed on ${host.name}`, { next: 'run scripts/ensure-deps (or: apt-get install -y pdns-server pdns-backend-mysql)' });
  }
  const files = pdnsFiles(o.dir);
  await host.mkdir(o.dir, 0o700);
  await host.writeFile(files.configFile, renderPdnsConfig({ ...o, socketDir: o.dir, dbTimeoutS: o.dbTimeoutS }), 0o600);
  const started = clock.monotonic();
  const { pid } = await host.spawnDetached(binary, [`--config-dir=${o.dir}`], { logFile: files.logFile });
  try {
    await waitAnswering(host, pid, o, files.logFile, clock);
  } catch (e) {
    await stopPowerDns(host, pid, { graceMs: 2_000, configDir: o.dir }).catch(() => undefined);
    throw e;
  }
  log.info({ pid, ms: Math.round(clock.monotonic() - started) }, 'PowerDNS answers');
  return { pid, server: serverAddress(o.address, o.port), ...files };
}

/** Polls with a real SOA query for the zone until PowerDNS answers it, dies, or time runs out. */
async function waitAnswering(host: Host, pid: number, o: PowerDnsOptions, logFile: string, clock: Clock): Promise<void> {
  const timeoutMs = o.readyTimeoutMs ?? 15_000;
  const deadline = clock.monotonic() + timeoutMs;
  const resolver = directResolver(o.address, o.port, 300);
  const zone = normalizeZone(o.zone).slice(0, -1);
  let last = '';
  while (clock.monotonic() < deadline) {
    if (!(await host.isAlive(pid))) {
      throw new StateError('PDNS_EXITED', `pdns_server exited during start-up: ${await tail(host, logFile)}`, {
        next: `read ${logFile}; a port already in use or a database it cannot reach are the usual causes`,
      });
    }
    try {
      const soa = await resolver.resolveSoa(zone);
      if (soa.serial !== undefined) return;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await clock.sleep(50);
  }
  throw new TimeoutError(`pdns_server (pid ${pid}) did not answer the SOA of ${zone} within ${timeoutMs} ms (${last}): ${await tail(host, logFile)}`, {
    next: `check the zone exists (dbfleet dns init) and read ${logFile}`,
  });
}

async function tail(host: Host, file: string): Promise<string> {
  if (!(await host.exists(file))) return '(no log)';
  const lines = (await host.readFile(file)).trim().split('\n');
  const errors = lines.filter((l) => /error|fatal|unable|exiting/i.test(l)).slice(-3);
  return (errors.length > 0 ? errors : lines.slice(-3)).join(' | ');
}

export interface StopOptions {
  graceMs?: number;
  /** When given, the PID is only signalled if it is a pdns_server started with this --config-dir. */
  configDir?: string;
  clock?: Clock;
}

/**
 * Stops pdns_server by PID: SIGTERM, then SIGKILL after the grace period. A PID that is gone, or
 * (with configDir) belongs to another program, is left alone; returns whether it stopped one.
 */
export async function stopPowerDns(host: Host, pid: number, options: StopOptions = {}): Promise<boolean> {
  const clock = options.clock ?? systemClock;
  if (!(await host.isAlive(pid))) return false;
  if (options.configDir !== undefined) {
    const cmdline = await host.readFile(`/proc/${pid}/cmdline`).catch(() => '');
    if (!cmdline.split('\0').includes(`--config-dir=${options.configDir}`)) return false;
  }
  await host.kill(pid, 'SIGTERM');
  const deadline = clock.monotonic() + (options.graceMs ?? 5_000);
  while (clock.monotonic() < deadline) {
    if (!(await host.isAlive(pid))) return true;
    await clock.sleep(25);
  }
  await host.kill(pid, 'SIGKILL');
  const hard = clock.monotonic() + 5_000;
  while (clock.monotonic() < hard) {
    if (!(await host.isAlive(pid))) return true;
    await clock.sleep(25);
  }
  throw new TimeoutError(`pdns_server (pid ${pid}) survived SIGKILL for 5 s`);
}
