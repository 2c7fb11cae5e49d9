import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { processAlive } from '../core/process-alive.js';
import { StateError } from '../core/errors.js';

export interface FileLockOptions {
  timeoutMs?: number;
  retryMs?: number;
}

/** A lock file whose content is still empty after this long belongs to a process that died. */
const EMPTY_LOCK_STALE_MS = 5_000;

async function isStale(lockPath: string): Promise<boolean> {
  const content = (await readFile(lockPath, 'utf8').catch(() => undefined))?.trim();
  if (content === undefined) return false; // gone already: just try again
  if (content === '') {
    const st = await stat(lockPath).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs > EMPTY_LOCK_STALE_MS;
  }
  const pid = Number(content);
  return Number.isInteger(pid) && pid > 0 && !processAlive(pid);
}

/**
 * Runs `work` while holding `lockPath`, a file created exclusively (O_EXCL) and holding our PID,
 * so processes on this machine take turns. A lock left by a dead process is taken over.
 */
export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryMs = options.retryMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isStale(lockPath)) {
      // rename is atomic: of several processes that saw the stale lock, one moves it away
      await rename(lockPath, `${lockPath}.stale.${process.pid}`).then(
        () => rm(`${lockPath}.stale.${process.pid}`, { force: true }),
        () => undefined,
      );
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StateError('LOCK_TIMEOUT', `could not take the lock ${lockPath} within ${timeoutMs} ms`, {
        retryable: true,
        next: `another dbfleet process holds it; if none runs, remove ${lockPath}`,
      });
    }
    await new Promise((r) => setTimeout(r, retryMs + Math.random() * retryMs));
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
