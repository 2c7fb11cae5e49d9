import { silentLogger, type Logger } from '../core/logger.js';
import type { Endpoint, Flavor, MysqlAdmin, Timeouts } from './admin.js';
import { DialectAdmin } from './dialect-admin.js';
import { openSession } from './mysql2-session.js';
import { dialectFor } from './pick-dialect.js';
import { parseServerVersion, VERSION_QUERY, versionVariablesFromRows } from './server-version.js';

export interface ConnectAdminOptions {
  /**
   * The engine the configuration expects. Detection always runs; a server that is not this
   * flavour is refused (FlavorMismatchError) rather than probed with the wrong role query.
   */
  flavorHint?: Flavor | undefined;
  logger?: Logger | undefined;
  signal?: AbortSignal | undefined;
}

/** Connects, detects the server's version and flavour, and returns the admin for its dialect. */
export async function connectAdmin(endpoint: Endpoint, timeouts: Timeouts, options: ConnectAdminOptions = {}): Promise<MysqlAdmin> {
  const logger = options.logger ?? silentLogger;
  const session = await openSession(endpoint, timeouts, { signal: options.signal, logger });
  try {
    const rows = await session.query(VERSION_QUERY, [], { signal: options.signal });
    const version = parseServerVersion(versionVariablesFromRows(rows), options.flavorHint);
    return new DialectAdmin(endpoint, session, dialectFor(version), timeouts, logger);
  } catch (e) {
    session.destroy();
    throw e;
  }
}
