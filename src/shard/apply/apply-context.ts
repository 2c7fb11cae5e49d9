import type { ConsolidationHost, ConsolidationSection } from '../../core/config-schema.js';
import { StateError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Mutex } from '../../core/mutex.js';
import type { SecondaryIpProvider } from '../../aws/secondary-ip-provider.js';
import type { Host } from '../../host/host.js';
import type { Endpoint, MysqlAdmin, SqlSession, Timeouts } from '../../mysql/admin.js';
import { MARIADB_ENGINE, type MysqldEngine } from '../mysqld/mysqld-engine.js';
import type { MysqldManager } from '../mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../mysqld/mysqld-spec.js';
import type { ApplyMove, CurrentServer, TargetProcess } from './apply-moves.js';

/** The adapters apply acts through; built once by the CLI (or a test). */
export interface ApplyDeps {
  host(h: ConsolidationHost): Host;
  mysqld(h: ConsolidationHost): MysqldManager;
  ips(h: ConsolidationHost): SecondaryIpProvider;
  connect: (e: Endpoint, t: Timeouts) => Promise<MysqlAdmin>;
  openDns: () => Promise<SqlSession>;
  logger: Logger;
  /** Who is acting, for the DNS audit log. */
  actor: string;
  /** Work on a host that must not overlap other such work on it (moves of a wave run side by side). */
  hostLock(h: ConsolidationHost): Mutex;
  /** Catch-up progress of one new copy, one line per update (the CLI draws a bar on a terminal). */
  progress: (target: string, line: string) => void;
  /** Test crash points inside the switchover (see SwitchoverDeps.failpoint), verify (`<shard>:verify-at-position`) and seed (`<shard>:seeded`, every copy made, the phase not yet journaled). */
  failpoint?: (point: string) => void;
}

/** What the config says, with secrets resolved. */
export interface ApplySettings {
  section: ConsolidationSection;
  admin: { user: string; password: string | undefined };
  repl: { user: string; password: string };
  zone: string;
  readerWeight: number;
  appUsers: string[];
  maxLagSeconds: number;
  longTransactionSeconds: number;
  switchCatchUpTimeoutMs: number;
  /** The switchover's server-side bound on read_only = 1 (s). */
  blockWritesTimeoutSeconds: number;
  /** Running statements this old that would hold up read_only refuse the switchover (s). */
  longStatementSeconds: number;
}

/** The run's state, as the journal keeps it: per shard, flat keys. */
export type ApplyState = Record<string, unknown> & { plan_sha256: string };

export const ADMIN_TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 };

/** The addresses provision gave a move's processes (server_id -> address), from the state. */
export function addressesOf(state: Readonly<ApplyState>, shard: string): Record<string, string> {
  return (state[`${shard}:ips`] as Record<string, string> | undefined) ?? {};
}

/** The address a new process has (from provision) or will have (planned); undefined while EC2 is yet to choose it. */
export function knownAddress(state: Readonly<ApplyState>, move: ApplyMove, t: TargetProcess): string | undefined {
  return addressesOf(state, move.shard)[String(t.serverId)] ?? t.plannedIp;
}

export function addressOf(state: Readonly<ApplyState>, move: ApplyMove, t: TargetProcess): string {
  const ip = knownAddress(state, move, t);
  if (ip === undefined) throw new StateError('NO_ADDRESS', `${move.shard} on ${t.host.name} has no address yet: the provision phase has not run`, { next: 'run apply with --resume' });
  return ip;
}

/** What a target host runs: its own `engine` and `mysql_prefix`, else the section's; MariaDB by default. */
export function hostEngine(section: Pick<ConsolidationSection, 'engine' | 'mysql_prefix'>, h: Pick<ConsolidationHost, 'engine' | 'mysql_prefix'>): MysqldEngine {
  const kind = h.engine ?? section.engine;
  if (kind === 'mariadb') return MARIADB_ENGINE;
  const prefix = h.mysql_prefix ?? section.mysql_prefix;
  return prefix === undefined ? { kind: 'mysql' } : { kind: 'mysql', prefix };
}

export function targetSpec(move: ApplyMove, t: TargetProcess, ip: string, s: ApplySettings): MysqldSpec {
  return {
    engine: hostEngine(s.section, t.host),
    name: move.shard,
    baseDir: t.host.base_dir,
    bindAddress: ip,
    port: t.port,
    serverId: t.serverId,
    bufferPoolMb: t.bufferPoolMb,
    readOnly: true,
    runAsRoot: s.section.run_as_root,
    extra: s.section.mysqld_extra,
    configPath: t.configPath,
  };
}

export function adminEndpoint(s: ApplySettings, host: string, port: number): Endpoint {
  return { host, port, user: s.admin.user, password: s.admin.password };
}

export function currentEndpoint(s: ApplySettings, c: CurrentServer): Endpoint {
  return adminEndpoint(s, c.host, c.port);
}

/** Runs work on an admin connection, closing it afterwards. */
export async function withAdmin<T>(deps: ApplyDeps, e: Endpoint, work: (a: MysqlAdmin) => Promise<T>, t: Timeouts = ADMIN_TIMEOUTS): Promise<T> {
  const a = await deps.connect(e, t);
  try {
    return await work(a);
  } finally {
    await a.close().catch(() => undefined);
  }
}

/** A readable name for a new process in logs: `db-1/user-01 (10.0.64.5:3306)`. */
export function targetName(move: ApplyMove, t: TargetProcess, ip?: string): string {
  return `${t.host.name}/${move.shard}${ip === undefined ? '' : ` (${ip}:${t.port})`}`;
}
