import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateError, UsageError } from '../core/errors.js';
import { withFileLock } from './file-lock.js';
import { checkIpv4, compareIpv4 } from './ipv4.js';
import { checkTag, type SecondaryIp, type SecondaryIpProvider } from './secondary-ip-provider.js';

export interface LoopbackIpProviderOptions {
  /** A 127.x.y.0/24 pool; addresses .1 to .254 are handed out. */
  pool: string;
  /** The allocation file (JSON) shared by every process that uses this pool. */
  allocationFile: string;
  now?: () => number;
}

interface Allocation {
  tag: string;
  pid: number;
  at: string;
}

interface AllocationState {
  version: 1;
  pool: string;
  addresses: Record<string, Allocation>;
}

const POOL = /^127\.(\d{1,3})\.(\d{1,3})\.0\/24$/;
/** Tags are checked as labels on `lo`, so a tag that works here also works on a real host. */
const DEVICE = 'lo';

/**
 * Secondary addresses for the sandbox: any 127.x.y.z works on loopback without `ip addr add`
 * (environment.md), so attaching is only allocation. The allocation file, changed under a lock
 * file, keeps two processes from handing out the same address or tag.
 */
export class LoopbackIpProvider implements SecondaryIpProvider {
  readonly kind = 'loopback' as const;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(private readonly options: LoopbackIpProviderOptions) {
    const m = POOL.exec(options.pool);
    if (!m || Number(m[1]) > 255 || Number(m[2]) > 255) throw new UsageError(`loopback pool "${options.pool}" must look like 127.X.Y.0/24`);
    this.prefix = `127.${m[1]}.${m[2]}.`;
    this.now = options.now ?? Date.now;
  }

  async attach(tag: string, address?: string): Promise<string> {
    checkTag(tag, DEVICE);
    if (address !== undefined) this.checkInPool(address);
    return this.update((state) => {
      const held = Object.entries(state.addresses).find(([, a]) => a.tag === tag)?.[0];
      if (held !== undefined) {
        if (address !== undefined && address !== held) throw new StateError('TAG_IN_USE', `tag ${tag} already holds ${held}, not ${address}`);
        return held;
      }
      const chosen = address ?? this.firstFree(state);
      const owner = state.addresses[chosen];
      if (owner) throw new StateError('ADDRESS_IN_USE', `${chosen} is already allocated to tag ${owner.tag}`);
      state.addresses[chosen] = { tag, pid: process.pid, at: new Date(this.now()).toISOString() };
      return chosen;
    });
  }

  async detach(address: string): Promise<void> {
    this.checkInPool(address);
    await this.update((state) => {
      delete state.addresses[address];
    });
  }

  async list(): Promise<SecondaryIp[]> {
    const state = await this.read();
    return Object.entries(state.addresses)
      .map(([address, a]) => ({ address, tag: a.tag, complete: true }))
      .sort((a, b) => compareIpv4(a.address, b.address));
  }

  private firstFree(state: AllocationState): string {
    for (let host = 1; host <= 254; host++) {
      const candidate = `${this.prefix}${host}`;
      if (!state.addresses[candidate]) return candidate;
    }
    throw new StateError('POOL_EXHAUSTED', `every address of ${this.options.pool} is allocated`, { next: 'detach addresses no longer used, or use another pool' });
  }

  private checkInPool(address: string): void {
    checkIpv4(address);
    const last = Number(address.slice(this.prefix.length));
    if (!address.startsWith(this.prefix) || last < 1 || last > 254) throw new UsageError(`${address} is not in the pool ${this.options.pool} (.1 to .254)`);
  }

  private async read(): Promise<AllocationState> {
    let text: string;
    try {
      text = await readFile(this.options.allocationFile, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, pool: this.options.pool, addresses: {} };
      throw e;
    }
    let state: AllocationState;
    try {
      state = JSON.parse(text) as AllocationState;
    } catch (e) {
      throw new StateError('ALLOCATION_FILE_CORRUPT', `${this.options.allocationFile} is not valid JSON`, { cause: e, next: 'inspect the file; it lists which tag holds which address' });
    }
    if (state.pool !== this.options.pool) {
      throw new StateError('ALLOCATION_POOL_MISMATCH', `${this.options.allocationFile} belongs to pool ${state.pool}, not ${this.options.pool}`);
    }
    return state;
  }

  /** Read, change and write the allocation file atomically (temp file + rename) under the lock. */
  private async update<T>(change: (state: AllocationState) => T): Promise<T> {
    const file = this.options.allocationFile;
    await mkdir(dirname(file), { recursive: true });
    return withFileLock(`${file}.lock`, async () => {
      const state = await this.read();
      const result = change(state);
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
      await rename(tmp, file);
      return result;
    });
  }
}
