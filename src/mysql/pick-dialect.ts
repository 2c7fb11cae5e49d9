import type { ServerVersion } from './admin.js';
import type { Dialect } from './dialect.js';
import { auroraDialect } from './dialect-aurora.js';
import { mariadbDialect } from './dialect-mariadb.js';
import { mysqlDialect } from './dialect-mysql.js';

/** The dialect for a detected server version (parseServerVersion already refused unsupported ones). */
export function dialectFor(version: ServerVersion): Dialect {
  switch (version.flavor) {
    case 'mysql':
      return mysqlDialect(version);
    case 'aurora-mysql':
      return auroraDialect(version);
    case 'mariadb':
      return mariadbDialect(version);
  }
}
