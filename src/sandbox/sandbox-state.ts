import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { StateError } from '../core/errors.js';
import type { Host } from '../host/host.js';

/** What `sandbox up` started, persisted in D/sandbox.json so that status/failover/down find it. */
const instanceState = z.object({
  id: z.string(),
  /** The server's @@version, read once it answered (absent in state files of older versions). */
  version: z.string().optional(),
  host: z.string(),
  port: z.number(),
  socket: z.string(),
  serverId: z.number(),
  pid: z.number().nullable(),
  role: z.enum(['writer', 'reader']),
});

const clusterState = z.object({
  name: z.string(),
  writer_record: z.string(),
  reader_record: z.string(),
  instances: z.array(instanceState),
});

/** The engine of the clusters' mysqld processes; the MyDNS database is always MariaDB. */
const engineState = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mariadb') }),
  z.object({ kind: z.literal('mysql'), prefix: z.string().optional() }),
]);

export const sandboxStateSchema = z.object({
  version: z.literal(1),
  dir: z.string(),
  engine: engineState.default({ kind: 'mariadb' }),
  slot: z.number(),
  created_at: z.string(),
  config: z.string(),
  clusters: z.array(clusterState),
  dnsDb: instanceState,
  /** Filled in once the DNS part of the sandbox runs (PowerDNS in front of the MyDNS tables). */
  dns: z.object({ dsn: z.string(), server: z.string().nullable(), zone: z.string(), pdnsPid: z.number().nullable() }),
});

export type SandboxState = z.infer<typeof sandboxStateSchema>;
export type SandboxInstanceState = z.infer<typeof instanceState>;
export type SandboxClusterState = z.infer<typeof clusterState>;

export const STATE_FILE = 'sandbox.json';

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

export async function readState(dir: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(statePath(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const parsed = sandboxStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new StateError('SANDBOX_STATE_CORRUPT', `${statePath(dir)} is not a sandbox state file this version understands`, {
      next: `stop its processes by hand (their PIDs are in the file) and remove ${dir}`,
    });
  }
  return parsed.data;
}

export async function requireState(dir: string): Promise<SandboxState> {
  const state = await readState(dir);
  if (!state) {
    throw new StateError('NO_SANDBOX', `no sandbox in ${dir} (no ${STATE_FILE})`, { next: `run: dbfleet sandbox up --dir ${dir}` });
  }
  return state;
}

export async function writeState(host: Host, state: SandboxState): Promise<void> {
  await host.writeFile(statePath(state.dir), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}

export function allInstances(state: SandboxState): SandboxInstanceState[] {
  return [...state.clusters.flatMap((c) => c.instances), state.dnsDb];
}
