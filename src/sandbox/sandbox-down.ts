import { readdir, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mysqldBaseDir, stateInstanceSpec } from './sandbox-instance.js';
import type { SandboxDeps } from './sandbox-deps.js';
import { secretsDir } from './sandbox-secrets.js';
import { allInstances, readState, statePath, type SandboxInstanceState, type SandboxState } from './sandbox-state.js';

export interface DownReport {
  dir: string;
  found: boolean;
  stopped: { id: string; pid: number }[];
}

/**
 * The verified PID of an instance: from its pid file, or else the PID recorded at start if that
 * process is still the mysqld started with this instance's config (never some reused PID).
 */
export async function livePid(deps: SandboxDeps, state: SandboxState, inst: SandboxInstanceState): Promise<number | undefined> {
  const spec = stateInstanceSpec(state, inst, deps.runAsRoot);
  const fromFile = await deps.mysqld.pid(spec);
  if (fromFile !== undefined) return fromFile;
  if (inst.pid === null || !(await deps.host.isAlive(inst.pid))) return undefined;
  const cmdline = await deps.host.readFile(`/proc/${inst.pid}/cmdline`).catch(() => '');
  return cmdline.split('\0').includes(`--defaults-file=${deps.mysqld.paths(spec).configFile}`) ? inst.pid : undefined;
}

export async function sandboxAlive(deps: SandboxDeps, state: SandboxState): Promise<boolean> {
  for (const inst of allInstances(state)) if ((await livePid(deps, state, inst)) !== undefined) return true;
  return false;
}

/** Stops every process the sandbox started, by PID (PowerDNS first, then the mysqld processes). */
export async function stopSandboxProcesses(deps: SandboxDeps, state: SandboxState): Promise<{ id: string; pid: number }[]> {
  const stopped: { id: string; pid: number }[] = [];
  if (state.dns.pdnsPid !== null && (await deps.host.isAlive(state.dns.pdnsPid))) {
    const cmdline = await deps.host.readFile(`/proc/${state.dns.pdnsPid}/cmdline`).catch(() => '');
    // the exact argument, not a prefix: /tmp/sb must not match /tmp/sb2's PowerDNS
    if (cmdline.split('\0').includes(`--config-dir=${join(state.dir, 'pdns')}`)) {
      await deps.mysqld.stopPid(state.dns.pdnsPid, 5_000);
      stopped.push({ id: 'pdns', pid: state.dns.pdnsPid });
    }
  }
  await Promise.all(
    allInstances(state).map(async (inst) => {
      const pid = await livePid(deps, state, inst);
      if (pid === undefined) return;
      // Sandbox data is removed right after: no clean shutdown is worth waiting for (a MySQL
      // source waits seconds for its replicas' dump threads), so SIGKILL at once.
      await deps.mysqld.stopPid(pid, 0);
      stopped.push({ id: inst.id, pid });
    }),
  );
  return stopped;
}

/** Removes what `up` added under the dir, and the dir itself when nothing else is left in it. */
export async function removeSandboxFiles(deps: SandboxDeps, state: SandboxState): Promise<void> {
  for (const p of [mysqldBaseDir(state.dir), join(state.dir, 'template'), join(state.dir, 'template-mysql'), join(state.dir, 'pdns'), secretsDir(state.dir), state.config, statePath(state.dir)]) {
    await deps.host.remove(p);
  }
  try {
    if ((await readdir(state.dir)).length === 0) await rmdir(state.dir);
  } catch {
    /* already gone */
  }
}

export async function sandboxDown(deps: SandboxDeps, dirOption: string): Promise<DownReport> {
  const dir = resolve(dirOption);
  const state = await readState(dir);
  if (!state) return { dir, found: false, stopped: [] };
  const stopped = await stopSandboxProcesses(deps, state);
  deps.logger.info({ sandbox: dir, stopped }, 'sandbox processes stopped');
  await removeSandboxFiles(deps, state);
  await deps.slots.release(state.slot, dir);
  return { dir, found: true, stopped };
}
