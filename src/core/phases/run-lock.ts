import { open, readFile, unlink } from 'node:fs/promises';
import { processAlive } from '../process-alive.js';
import { hostname } from 'node:os';
import { StateError } from '../errors.js';

export interface RunLock {
  path: string;
  release(): Promise<void>;
}

/**
 * One run per journal at a time: `<journal>.lock` is created exclusively and holds the PID and
 * host. A lock whose process is gone (same host) is taken over; a live one is refused, so a
 * second terminal's `--resume` cannot act while the first run is still finishing a phase.
 */
export async function acquireRunLock(journalPath: string, pid = process.pid): Promise<RunLock> {
  const path = `${journalPath}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.write(`${pid} ${hostname()}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, host] = (await readFile(path, 'utf8').catch(() => '')).trim().split(/\s+/);
      const holder = Number(pidText);
      if (host === hostname() && Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
        await unlink(path).catch(() => undefined); // its process is gone: a crash left it
        continue;
      }
      throw new StateError('RUN_IN_PROGRESS', `another run holds ${path} (pid ${pidText ?? '?'} on ${host ?? '?'})`, {
        next: 'wait for that run to stop (it finishes its current phase first); remove the lock file only if that process is really gone',
      });
    }
  }
  throw new StateError('RUN_LOCK_CONTENDED', `could not take ${path}: it kept reappearing`, { next: 'check for another dbfleet run on this journal' });
}
