import { BugError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Endpoint, MysqlAdmin, QueryOptions, Timeouts } from '../mysql/admin.js';
import { connectAdmin } from '../mysql/connect-admin.js';
import type { Dialect } from '../mysql/dialect.js';
import { DialectAdmin } from '../mysql/dialect-admin.js';
import { FlavorMismatchError } from '../mysql/mysql-errors.js';
import { openSession } from '../mysql/mysql2-session.js';
import { describeVersion, parseServerVersion, VERSION_QUERY, versionVariablesFromRows } from '../mysql/server-version.js';
import type { Statement } from '../mysql/statement.js';
import { auroraEmulatedDialect } from './aurora-emulated-dialect.js';
import type { SideEngine } from './sides.js';

/** Opens an admin connection to one instance with the dialect its side's engine calls for. */
export type SideConnector = (engine: SideEngine, endpoint: Endpoint) => Promise<MysqlAdmin>;

export function sideConnector(timeouts: Timeouts, logger: Logger): SideConnector {
  return async (engine, endpoint) => {
    if (engine !== 'aurora-emulated') return connectAdmin(endpoint, timeouts, { flavorHint: engine, logger });
    const session = await openSession(endpoint, timeouts, { logger });
    try {
      // The sandbox's Aurora is a MariaDB or a MySQL with the rds_* procedures: the base is what the server says.
      const version = parseServerVersion(versionVariablesFromRows(await session.query(VERSION_QUERY)));
      if (version.flavor === 'aurora-mysql') {
        throw new FlavorMismatchError(`${endpoint.host}:${endpoint.port} is ${describeVersion(version)}, but the configuration says engine aurora-emulated (a MariaDB or MySQL sandbox target)`, {
          next: 'set target.engine to aurora-mysql for a real Aurora cluster',
        });
      }
      return new DialectAdmin(endpoint, session, auroraEmulatedDialect(version), timeouts, logger);
    } catch (e) {
      session.destroy();
      throw e;
    }
  };
}

/** The dialect of a migration's admin connection (every SideConnector returns a DialectAdmin). */
export function dialectOf(a: MysqlAdmin): Dialect {
  if (!(a instanceof DialectAdmin)) throw new BugError('migration admin connections are DialectAdmins');
  return a.dialect;
}

/** Runs dialect statements on the admin's session (their secrets redacted from any error). */
export async function runStatements(a: MysqlAdmin, statements: readonly Statement[], o: QueryOptions = {}): Promise<void> {
  for (const s of statements) await a.session.query(s.sql, s.params, { ...o, secrets: [...(o.secrets ?? []), ...s.secrets], redactedSql: s.redacted });
}
