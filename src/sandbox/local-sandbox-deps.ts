import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { LocalHost } from '../host/local-host.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import { MysqldManager, type MysqldBinaries } from '../shard/mysqld/mysqld-manager.js';
import type { SandboxDeps } from './sandbox-deps.js';
import { SlotRegistry } from './slot-registry.js';

/** The default slot registry, shared by every sandbox on this machine. */
export const DEFAULT_SLOT_DIR = join(tmpdir(), 'dbfleet-sandbox-slots');

/** Sandbox dependencies on this machine: local processes, real mariadbd / mysqld, the shared slot registry. */
export function localSandboxDeps(logger: Logger, options: { slotDir?: string | undefined; binaries?: Partial<MysqldBinaries> } = {}): SandboxDeps {
  const host = new LocalHost();
  return {
    host,
    mysqld: new MysqldManager(host, logger, options.binaries ?? {}),
    connect: connectAdmin,
    slots: new SlotRegistry(options.slotDir ?? DEFAULT_SLOT_DIR),
    logger,
    clock: systemClock,
    runAsRoot: process.getuid?.() === 0,
  };
}
