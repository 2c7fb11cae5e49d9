import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ControlEvent, ControlResponse } from './control.js';
import type { FakeFleetConfig, FakeFleetStats, FakeInstanceInfo, InstanceChange, InstanceSelector } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(here, '..', '..', '..');
export const FLEET_PROCESS_SCRIPT = join(here, 'fleet-process.ts');

export interface SpawnFakeFleetOptions {
  /** How long the child may take to open every port. */
  startTimeoutMs?: number;
  /** Per-request deadline. */
  requestTimeoutMs?: number;
}

/**
 * Starts fleet-process.ts as a child (its CPU and memory apart from the caller's) and drives it
 * over the control protocol. The child's stderr is inherited.
 */
export async function spawnFakeFleet(config: Partial<FakeFleetConfig>, options: SpawnFakeFleetOptions = {}): Promise<FakeFleetChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', FLEET_PROCESS_SCRIPT, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  // A request written after the child died must fail its promise, not crash the caller.
  child.stdin!.on('error', () => undefined);
  const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const first = await new Promise<ControlEvent>((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(new Error(`fake-mysql child did not report ready within ${startTimeoutMs} ms`)), startTimeoutMs);
    const onExit = (code: number | null, signal: string | null): void => fail(new Error(`fake-mysql child exited before ready (${code ?? signal})`));
    function fail(e: Error): void {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(e);
    }
    child.once('exit', onExit);
    child.once('error', (e) => fail(e));
    lines.once('line', (line) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      try {
        resolvePromise(JSON.parse(line) as ControlEvent);
      } catch {
        fail(new Error(`fake-mysql child wrote a non-JSON first line: ${line.slice(0, 200)}`));
      }
    });
  });
  if (first.event === 'failed') {
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
    throw new Error(first.error);
  }
  return new FakeFleetChild(child, lines, first.instances, options.requestTimeoutMs ?? 30_000);
}

interface Waiter {
  resolve: (r: ControlResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class FakeFleetChild {
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    lines: ReturnType<typeof createInterface>,
    /** Every instance as it was at start (ids, addresses, initial roles). */
    readonly instances: readonly FakeInstanceInfo[],
    private readonly requestTimeoutMs: number,
  ) {
    lines.on('line', (line) => {
      let msg: ControlResponse;
      try {
        msg = JSON.parse(line) as ControlResponse;
      } catch {
        return;
      }
      const w = typeof msg.id === 'number' ? this.waiters.get(msg.id) : undefined;
      if (!w || typeof msg.id !== 'number') return;
      this.waiters.delete(msg.id);
      clearTimeout(w.timer);
      w.resolve(msg);
    });
    this.exited = new Promise((r) => {
      child.once('exit', (code, signal) => {
        for (const [id, w] of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`fake-mysql child exited (${code ?? signal}) before answering request ${id}`));
        }
        this.waiters.clear();
        r();
      });
    });
  }

  /** The child's pid: read its CPU and RSS from /proc/<pid> to report the stand-in's own cost. */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  async set(select: InstanceSelector, change: InstanceChange): Promise<number> {
    return ((await this.request({ cmd: 'set', select, ...change })) as { changed: number }).changed;
  }

  async promote(instance: string): Promise<void> {
    await this.request({ cmd: 'promote', instance });
  }

  async list(select?: InstanceSelector): Promise<FakeInstanceInfo[]> {
    return (await this.request({ cmd: 'list', ...(select ? { select } : {}) })) as FakeInstanceInfo[];
  }

  async stats(select?: InstanceSelector, options: { resetEventLoop?: boolean } = {}): Promise<FakeFleetStats> {
    return (await this.request({ cmd: 'stats', ...(select ? { select } : {}), ...(options.resetEventLoop ? { resetEventLoop: true } : {}) })) as FakeFleetStats;
  }

  /** Asks the child to close every port and exit; kills it if it has not exited within the deadline. */
  async shutdown(timeoutMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request({ cmd: 'shutdown' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private request(body: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise<ControlResponse>((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`fake-mysql child did not answer ${String(body['cmd'])} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.waiters.set(id, { resolve: resolvePromise, reject, timer });
      this.child.stdin!.write(`${JSON.stringify({ id, ...body })}\n`);
    }).then((r) => {
      if (!r.ok) throw new Error(`fake-mysql: ${String(body['cmd'])}: ${r.error}`);
      return r.result;
    });
  }
}
