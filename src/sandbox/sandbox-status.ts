import { resolve } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { instanceEngine, withAdmin } from './sandbox-instance.js';
import type { SandboxDeps } from './sandbox-deps.js';
import { livePid } from './sandbox-down.js';
import { readPasswords } from './sandbox-secrets.js';
import { requireState, type SandboxInstanceState, type SandboxState } from './sandbox-state.js';

export interface LiveInstance {
  id: string;
  host: string;
  port: number;
  socket: string;
  /** The PID of the running process, verified; null when it is not running. */
  pid: number | null;
  /** The role the sandbox assigned. */
  role: 'writer' | 'reader';
  /** The engine the process runs (the MyDNS database is always MariaDB). */
  engine: 'mariadb' | 'mysql';
  /** The server's @@version, read live; null when unreachable. */
  version: string | null;
  reachable: boolean;
  /** The role read from the server (@@read_only), null when unreachable. */
  live_role: 'writer' | 'reader' | null;
  replication: null | {
    source: string;
    io_running: string;
    sql_running: boolean;
    seconds_behind: number | null;
    last_error: string;
  };
  error?: string;
}

export interface SandboxStatus {
  dir: string;
  /** The clusters' engine. */
  engine: SandboxState['engine'];
  config: string;
  clusters: { name: string; writer_record: string; reader_record: string; instances: LiveInstance[] }[];
  dns: SandboxState['dns'] & { db: LiveInstance };
  /** True when every instance answers, roles match and every reader replicates. */
  healthy: boolean;
}

async function inspect(deps: SandboxDeps, state: SandboxState, inst: SandboxInstanceState, password: string): Promise<LiveInstance> {
  const base = { id: inst.id, host: inst.host, port: inst.port, socket: inst.socket, role: inst.role, engine: instanceEngine(state, inst).kind };
  const pid = (await livePid(deps, state, inst)) ?? null;
  if (pid === null) return { ...base, version: null, pid, reachable: false, live_role: null, replication: null, error: 'process not running' };
  try {
    return await withAdmin(deps, inst, password, async (admin) => {
      const liveRole = await admin.role();
      const r = await admin.replicaStatus();
      return {
        ...base,
        version: admin.version.raw,
        pid,
        reachable: true,
        live_role: liveRole,
        replication: r
          ? {
              source: `${r.sourceHost}:${r.sourcePort}`,
              io_running: r.ioRunning,
              sql_running: r.sqlRunning,
              seconds_behind: r.secondsBehind,
              last_error: r.lastIoError || r.lastSqlError,
            }
          : null,
      };
    });
  } catch (e) {
    return { ...base, version: null, pid, reachable: false, live_role: null, replication: null, error: errorMessage(e) };
  }
}

/** Reads every instance's live role, reachability and replication health from the servers. */
export async function sandboxStatus(deps: SandboxDeps, dirOption: string): Promise<SandboxStatus> {
  const state = await requireState(resolve(dirOption));
  const { dbfleet } = await readPasswords(deps.host, state.dir);
  const clusters = await Promise.all(
    state.clusters.map(async (c) => ({
      name: c.name,
      writer_record: c.writer_record,
      reader_record: c.reader_record,
      instances: await Promise.all(c.instances.map((i) => inspect(deps, state, i, dbfleet))),
    })),
  );
  const db = await inspect(deps, state, state.dnsDb, dbfleet);
  const writerOf = (c: (typeof clusters)[number]): LiveInstance | undefined => c.instances.find((i) => i.role === 'writer');
  const healthy =
    db.reachable &&
    clusters.every((c) =>
      c.instances.every(
        (i) =>
          i.reachable &&
          i.live_role === i.role &&
          (i.role === 'writer' ||
            (i.replication !== null &&
              i.replication.io_running === 'yes' &&
              i.replication.sql_running &&
              i.replication.source === `${writerOf(c)?.host}:${writerOf(c)?.port}`)),
      ),
    );
  return { dir: state.dir, engine: state.engine, config: state.config, clusters, dns: { ...state.dns, db }, healthy };
}
