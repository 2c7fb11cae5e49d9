import { spawn } from 'node:child_process';
import { access, mkdir, open, readFile, rename, rm, writeFile, constants } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AbortedError, MissingDependencyError, TimeoutError, UsageError } from '../core/errors.js';
import type { DetachedOptions, Host, RunOptions, RunResult } from './host.js';
import { HostCommandError } from './host-errors.js';

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
/** Output kept per stream; more than this is truncated from the front (tails matter for errors). */
const MAX_OUTPUT = 1 << 20;

/** The machine dbfleet runs on, driven through child processes (never a shell). */
export class LocalHost implements Host {
  readonly name = 'local';

  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new AbortedError(`${command}: cancelled before it started`));
        return;
      }
      const child = spawn(command, [...args], {
        cwd: options.cwd,
        env: options.inheritEnv === false ? { ...options.env } : options.env ? { ...process.env, ...options.env } : process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        // its own process group, so a timeout or abort kills everything it started, not just it
        detached: true,
      });
      // decode as a stream: a multi-byte character split between two chunks stays whole
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      const killGroup = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      let stdout = '';
      let stderr = '';
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const timer = setTimeout(() => {
        killGroup();
        finish(() => reject(new TimeoutError(`${command} did not finish within ${options.timeoutMs} ms`, { details: { stderr: stderr.slice(-2000) } })));
      }, options.timeoutMs);
      const onAbort = (): void => {
        killGroup();
        finish(() => reject(new AbortedError(`${command} was cancelled`)));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (d: string) => {
        stdout = (stdout + d).slice(-MAX_OUTPUT);
      });
      child.stderr.on('data', (d: string) => {
        stderr = (stderr + d).slice(-MAX_OUTPUT);
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        finish(() =>
          reject(
            e.code === 'ENOENT'
              ? new MissingDependencyError(`${command} is not installed (not found on PATH)`, { cause: e, next: 'run scripts/ensure-deps' })
              : e,
          ),
        );
      });
      child.on('close', (code, signal) => {
        finish(() => resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr }));
      });
      child.stdin.on('error', () => {
        /* the command may exit before reading its input; its exit code tells the story */
      });
      child.stdin.end(options.input ?? '');
    });
  }

  async check(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const result = await this.run(command, args, options);
    if (result.exitCode !== 0) throw new HostCommandError(this.name, command, result.exitCode, result.stderr);
    return result;
  }

  async spawnDetached(command: string, args: readonly string[], options: DetachedOptions): Promise<{ pid: number }> {
    await mkdir(dirname(options.logFile), { recursive: true });
    const log = await open(options.logFile, 'a', 0o600);
    try {
      return await new Promise<{ pid: number }>((resolve, reject) => {
        const child = spawn(command, [...args], {
          cwd: options.cwd,
          env: options.env ? { ...process.env, ...options.env } : process.env,
          detached: true,
          stdio: ['ignore', log.fd, log.fd],
        });
        child.once('error', (e: NodeJS.ErrnoException) =>
          reject(e.code === 'ENOENT' ? new MissingDependencyError(`${command} is not installed`, { cause: e, next: 'run scripts/ensure-deps' }) : e),
        );
        child.once('spawn', () => {
          child.unref();
          if (child.pid === undefined) reject(new Error(`${command}: spawned without a pid`));
          else resolve({ pid: child.pid });
        });
      });
    } finally {
      await log.close();
    }
  }

  async isAlive(pid: number): Promise<boolean> {
    try {
      process.kill(pid, 0);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
    // A zombie answers signal 0 but is dead: check /proc.
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }

  async kill(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    try {
      process.kill(pid, signal);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw e;
    }
  }

  readFile(path: string): Promise<string> {
    return readFile(path, 'utf8');
  }

  async writeFile(path: string, content: string, mode = 0o644): Promise<void> {
    const tmp = join(dirname(path), `.${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
    await writeFile(tmp, content, { mode });
    await rename(tmp, path);
  }

  async exists(path: string): Promise<boolean> {
    try {
      await access(path, constants.F_OK);
      return true;
    } catch {
      return false;
    }
  }

  async mkdir(path: string, mode = 0o755): Promise<void> {
    await mkdir(path, { recursive: true, mode });
  }

  async remove(path: string): Promise<void> {
    if (path.trim() === '' || resolve(path) === '/') throw new UsageError(`refusing to remove ${JSON.stringify(path)}`);
    await rm(path, { recursive: true, force: true });
  }

  async which(command: string): Promise<string | undefined> {
    const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH];
    for (const dir of dirs) {
      const candidate = join(dir, command);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        /* keep looking */
      }
    }
    return undefined;
  }
}
