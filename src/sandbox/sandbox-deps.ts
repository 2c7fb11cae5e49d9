import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Host } from '../host/host.js';
import type { Endpoint, MysqlAdmin, Timeouts } from '../mysql/admin.js';
import type { MysqldManager } from '../shard/mysqld/mysqld-manager.js';
import type { SlotRegistry } from './slot-registry.js';

/** What the sandbox use cases act through; built once by the CLI (or a test). */
export interface SandboxDeps {
  host: Host;
  mysqld: MysqldManager;
  connect: (endpoint: Endpoint, timeouts: Timeouts) => Promise<MysqlAdmin>;
  slots: SlotRegistry;
  logger: Logger;
  clock: Clock;
  /** True when running as root: the config files then need `user=root`. */
  runAsRoot: boolean;
}

/** Deadlines for the sandbox's own admin connections (generous: this is set-up, not probing). */
export const SANDBOX_TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 };
