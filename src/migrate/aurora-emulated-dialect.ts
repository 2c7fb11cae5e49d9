import type { ServerVersion } from '../mysql/admin.js';
import type { Dialect } from '../mysql/dialect.js';
import { auroraDialect } from '../mysql/dialect-aurora.js';
import { mariadbDialect } from '../mysql/dialect-mariadb.js';

/**
 * The sandbox's Aurora: a MariaDB with the mysql.rds_* procedures installed (sandbox/rds-procedures.ts).
 * Replication is controlled exactly as on Aurora MySQL 2, with the production Aurora dialect's own
 * CALL statements, and SET GLOBAL read_only is refused as Aurora refuses it. Reads (replica status,
 * binlog position, waits) are MariaDB's, and the role is @@read_only: innodb_read_only, Aurora's role
 * variable, is start-up only on MariaDB and a server started with it cannot apply replication.
 */
export function auroraEmulatedDialect(version: ServerVersion): Dialect {
  const base = mariadbDialect(version);
  const aurora = auroraDialect({ flavor: 'aurora-mysql', major: 5, minor: 7, patch: 12, raw: '5.7.12', auroraVersion: '2.11.2' });
  return {
    ...base,
    startReplica: aurora.startReplica,
    stopReplica: aurora.stopReplica,
    resetReplicaAll: aurora.resetReplicaAll,
    changeSource: aurora.changeSource,
    setReadOnly: aurora.setReadOnly,
  };
}
