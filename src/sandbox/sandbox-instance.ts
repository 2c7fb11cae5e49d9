import { RemoteError } from '../core/errors.js';
import { join } from 'node:path';
import type { Endpoint, MysqlAdmin } from '../mysql/admin.js';
import { MARIADB_ENGINE, type MysqldEngine } from '../shard/mysqld/mysqld-engine.js';
import type { MysqldSpec } from '../shard/mysqld/mysqld-spec.js';
import { SANDBOX_TIMEOUTS, type SandboxDeps } from './sandbox-deps.js';
import { DNS_DB_ID } from './sandbox-layout.js';
import type { SandboxInstanceState, SandboxState } from './sandbox-state.js';

export function mysqldBaseDir(dir: string): string {
  return join(dir, 'mysqld');
}

/** The mysqld spec of a sandbox instance; derived from its state, so it never drifts. */
export function instanceSpec(
  dir: string,
  inst: Pick<SandboxInstanceState, 'id' | 'host' | 'port' | 'serverId' | 'role'>,
  runAsRoot: boolean,
  engine: MysqldEngine = MARIADB_ENGINE,
): MysqldSpec {
  return {
    name: inst.id,
    baseDir: mysqldBaseDir(dir),
    bindAddress: inst.host,
    port: inst.port,
    serverId: inst.serverId,
    bufferPoolMb: 16,
    readOnly: inst.role === 'reader',
    runAsRoot,
    ...(engine.kind === 'mariadb' ? {} : { engine }),
  };
}

/** The engine an instance of this sandbox runs: the sandbox's, or MariaDB for the MyDNS database. */
export function instanceEngine(state: Pick<SandboxState, 'engine'>, inst: Pick<SandboxInstanceState, 'id'>): MysqldEngine {
  return inst.id === DNS_DB_ID ? MARIADB_ENGINE : state.engine;
}

/** instanceSpec for an instance of a sandbox whose state is known. */
export function stateInstanceSpec(state: Pick<SandboxState, 'dir' | 'engine'>, inst: Pick<SandboxInstanceState, 'id' | 'host' | 'port' | 'serverId' | 'role'>, runAsRoot: boolean): MysqldSpec {
  return instanceSpec(state.dir, inst, runAsRoot, instanceEngine(state, inst));
}

export function adminEndpoint(inst: Pick<SandboxInstanceState, 'host' | 'port'>, password: string): Endpoint {
  return { host: inst.host, port: inst.port, user: 'dbfleet', password };
}

/** Runs `work` on an admin connection to the instance, closing it afterwards. */
export async function withAdmin<T>(deps: SandboxDeps, inst: SandboxInstanceState, password: string, work: (admin: MysqlAdmin) => Promise<T>): Promise<T> {
  const admin = await deps.connect(adminEndpoint(inst, password), SANDBOX_TIMEOUTS);
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

/** Polls until the replica's IO and SQL threads both run, or throws with its last error. */
export async function waitReplicating(deps: SandboxDeps, admin: MysqlAdmin, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = deps.clock.monotonic() + timeoutMs;
  let last = 'no replica status';
  while (deps.clock.monotonic() < deadline) {
    const s = await admin.replicaStatus();
    if (s && s.ioRunning === 'yes' && s.sqlRunning) return;
    if (s) last = `io=${s.ioRunning} sql=${s.sqlRunning} ${s.lastIoError || s.lastSqlError}`.trim();
    if (s && (s.lastSqlErrno !== 0 || (s.lastIoErrno !== 0 && s.ioRunning === 'no'))) break;
    await deps.clock.sleep(50);
  }
  throw new RemoteError('REPLICATION_NOT_RUNNING', `${what}: replication did not start within ${timeoutMs} ms: ${last}`, { next: 'read the instance error.log under the sandbox dir' });
}
