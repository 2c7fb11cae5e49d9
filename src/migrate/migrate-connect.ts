import type { Logger } from '../core/logger.js';
import type { Endpoint, MysqlAdmin, Timeouts } from '../mysql/admin.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import { DialectAdmin } from '../mysql/dialect-admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { parseServerVersion, VERSION_QUERY, versionVariablesFromRows } from '../mysql/server-version.js';
import { auroraEmulatedDialect } from './aurora-emulated-dialect.js';
import type { SideEngine } from './sides.js';

/** Opens an admin connection to one instance with the dialect its side's engine calls for. */
export type SideConnector = (engine: SideEngine, endpoint: Endpoint) => Promise<MysqlAdmin>;

export function sideConnector(timeouts: Timeouts, logger: Logger): SideConnector {
  return async (engine, endpoint) => {
    if (engine !== 'aurora-emulated') return connectAdmin(endpoint, timeouts, { flavorHint: engine, logger });
    const session = await openSession(endpoint, timeouts, { logger });
    try {
      const version = parseServerVersion(versionVariablesFromRows(await session.query(VERSION_QUERY)), 'mariadb');
      return new DialectAdmin(endpoint, session, auroraEmulatedDialect(version), timeouts, logger);
    } catch (e) {
      session.destroy();
      throw e;
    }
  };
}
