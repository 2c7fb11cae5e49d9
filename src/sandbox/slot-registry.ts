import { createServer } from 'node:net';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError } from '../core/errors.js';

/** Slots handed to sandboxes: 127.<slot>.0.0/16. Tests elsewhere use octets below 100. */
export const SLOT_RANGE = { first: 100, last: 239 } as const;

/**
 * A claim this young is never taken over: its sandbox may still be making its datadirs (MySQL's
 * template takes seconds) with no process running yet, so "its owner is not alive" does not mean
 * it is gone. Taking it over gave two sandboxes one slot ("Address already in use").
 */
export const CLAIM_GRACE_MS = 120_000;

/**
 * Gives each running sandbox its own 127.<slot>.0.0/16, so several can run at once (parallel test
 * files, a demo beside the tests). A slot is claimed by creating a file exclusively; a claim whose
 * sandbox no longer exists is taken over.
 */
export class SlotRegistry {
  constructor(private readonly registryDir: string) {}

  async claim(owner: string, isOwnerAlive: (owner: string) => Promise<boolean>): Promise<number> {
    await mkdir(this.registryDir, { recursive: true, mode: 0o755 });
    const span = SLOT_RANGE.last - SLOT_RANGE.first + 1;
    const start = Math.floor(Math.random() * span);
    for (let k = 0; k < span; k++) {
      const slot = SLOT_RANGE.first + ((start + k) % span);
      const file = this.file(slot);
      if (await this.tryCreate(file, owner)) {
        if (await addressFree(`127.${slot}.1.1`, 3306)) return slot;
        await rm(file, { force: true }); // someone outside the registry uses it
        continue;
      }
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== '' && current !== owner && !(await this.recentlyClaimed(file)) && !(await isOwnerAlive(current))) {
        await rm(file, { force: true });
        if ((await this.tryCreate(file, owner)) && (await addressFree(`127.${slot}.1.1`, 3306))) return slot;
      }
    }
    throw new StateError('NO_SANDBOX_SLOT', `all ${span} sandbox address slots are taken (registry ${this.registryDir})`, {
      next: 'bring down sandboxes you no longer need with `dbfleet sandbox down --dir D`',
    });
  }

  /** Claims one given slot (an operator's or a test's choice) or fails saying who holds it. */
  async claimExact(slot: number, owner: string, isOwnerAlive: (owner: string) => Promise<boolean>): Promise<number> {
    await mkdir(this.registryDir, { recursive: true, mode: 0o755 });
    const file = this.file(slot);
    if (!(await this.tryCreate(file, owner))) {
      const current = await readFile(file, 'utf8').catch(() => '');
      if (current !== owner && (await isOwnerAlive(current))) {
        throw new StateError('SLOT_TAKEN', `sandbox slot 127.${slot}.0.0/16 is used by the sandbox in ${current}`, { next: 'choose another --slot or none' });
      }
      await rm(file, { force: true });
      if (!(await this.tryCreate(file, owner))) throw new StateError('SLOT_TAKEN', `sandbox slot ${slot} was taken concurrently`);
    }
    return slot;
  }

  async release(slot: number, owner: string): Promise<void> {
    const current = await readFile(this.file(slot), 'utf8').catch(() => '');
    if (current === owner) await rm(this.file(slot), { force: true });
  }

  private async recentlyClaimed(file: string): Promise<boolean> {
    const st = await stat(file).catch(() => undefined);
    return st !== undefined && Date.now() - st.mtimeMs < CLAIM_GRACE_MS;
  }

  private file(slot: number): string {
    return join(this.registryDir, `127.${slot}`);
  }

  private async tryCreate(file: string, owner: string): Promise<boolean> {
    try {
      const fh = await open(file, 'wx', 0o644);
      await fh.writeFile(owner);
      await fh.close();
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }
}

/** True when nothing listens on address:port (checked by binding to it for a moment). */
export function addressFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
