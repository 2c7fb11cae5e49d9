import type { ServerVersion } from '../mysql/admin.js';
import type { Dialect } from '../mysql/dialect.js';
import { auroraDialect } from '../mysql/dialect-aurora.js';
import { mariadbDialect } from '../mysql/dialect-mariadb.js';
import { mysqlDialect } from '../mysql/dialect-mysql.js';

/** The Aurora releases whose procedure names the emulation answers to: Aurora 2 (`*_master`) on MariaDB, Aurora 3 (`*_source`) on MySQL. */
const AURORA2: ServerVersion = { flavor: 'aurora-mysql', major: 5, minor: 7, patch: 12, raw: '5.7.12', auroraVersion: '2.11.2' };
const AURORA3: ServerVersion = { flavor: 'aurora-mysql', major: 8, minor: 0, patch: 36, raw: '8.0.36', auroraVersion: '3.08.0' };

/**
 * The sandbox's Aurora: a MariaDB 10.11 or a MySQL 9.7 with the mysql.rds_* procedures installed
 * (sandbox/rds-procedures.ts). Replication is controlled exactly as on Aurora, with the production
 * Aurora dialect's own CALL statements (Aurora 2's on MariaDB, Aurora 3's on MySQL), and SET GLOBAL
 * read_only is refused as Aurora refuses it. Reads (replica status, binlog position, waits) are the
 * base server's, and the role is @@read_only: innodb_read_only, Aurora's role variable, is start-up
 * only on MariaDB and MySQL, and a server started with it cannot apply replication.
 *
 * What differs from real Aurora 3 on the MySQL base: both read the binlog position from
 * performance_schema.log_status, but the fallback without BACKUP_ADMIN is SHOW BINARY LOG STATUS
 * here (9.7 has no SHOW MASTER STATUS; Aurora 3, an 8.0, has only that), and the procedures
 * add GET_SOURCE_PUBLIC_KEY = 1 (9.7 has only caching_sha2_password; Aurora 3 would need
 * ssl_encryption = 1 for such a replication user).
 */
export function auroraEmulatedDialect(version: ServerVersion): Dialect {
  const base = version.flavor === 'mysql' ? mysqlDialect(version) : mariadbDialect(version);
  const aurora = auroraDialect(version.flavor === 'mysql' ? AURORA3 : AURORA2);
  return {
    ...base,
    startReplica: aurora.startReplica,
    stopReplica: aurora.stopReplica,
    resetReplicaAll: aurora.resetReplicaAll,
    changeSource: aurora.changeSource,
    setReadOnly: aurora.setReadOnly,
    beforeRenameOnReadOnly: aurora.beforeRenameOnReadOnly,
    killConnection: aurora.killConnection,
    // MariaDB has no gtid_mode, so Aurora 2's answer (none) is the base's as well.
    assignGtidsToAnonymous: version.flavor === 'mysql' ? aurora.assignGtidsToAnonymous : base.assignGtidsToAnonymous,
  };
}
