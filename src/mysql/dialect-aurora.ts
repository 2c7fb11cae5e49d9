import type { ChangeSource, ServerVersion } from './admin.js';
import type { Dialect } from './dialect.js';
import { mysqlDialect } from './dialect-mysql.js';
import { InvalidMysqlArgumentError, UnsupportedOperationError } from './mysql-errors.js';
import { checkBinlogFile, checkBinlogPosition, checkHost, checkPassword, checkPort, checkThreadId, checkUser, quote } from './sql-literal.js';
import { MASK, secretStatement, statement, type Statement } from './statement.js';

/**
 * Aurora MySQL 2 (5.7-compatible) and 3 (8.0-compatible). Reads are MySQL's (by compatibility
 * version); the role is @@innodb_read_only (0 on the writer, 1 on readers), and external
 * replication is driven through the mysql.rds_* procedures because the master user lacks the
 * privileges for CHANGE MASTER / START SLAVE. Aurora 2 names them *_master, Aurora 3 *_source.
 */
export function auroraDialect(version: ServerVersion): Dialect {
  const v3 = version.major >= 8;
  const base = mysqlDialect(version, v3 ? 'aurora-mysql-3' : 'aurora-mysql-2');
  const word = v3 ? 'source' : 'master';
  return {
    ...base,
    roleQuery: () => statement('SELECT @@innodb_read_only AS ro'),
    startReplica: () => [statement('CALL mysql.rds_start_replication')],
    stopReplica: () => [statement('CALL mysql.rds_stop_replication')],
    resetReplicaAll: () => [statement(`CALL mysql.rds_reset_external_${word}`)],
    changeSource: (source) => [setExternalSource(source, word)],
    setReadOnly: () => {
      throw new UnsupportedOperationError('Aurora does not allow SET GLOBAL read_only: the instance role decides it', {
        next: 'change the writer with a failover (RDS API), or set read_only in the DB cluster parameter group',
      });
    },
    // Aurora's read-only state is not the operator's: nothing to lower before a rename.
    beforeRenameOnReadOnly: () => [],
    assignGtidsToAnonymous: () => (v3 ? [statement("CALL mysql.rds_assign_gtids_to_anonymous_transactions('LOCAL')")] : undefined),
    killConnection: (id) => statement('CALL mysql.rds_kill(?)', [checkThreadId(id)]),
    // the master user can neither pause the applier alone (mysql.rds_stop_replication stops both
    // threads) nor take a global read lock; Aurora's storage clones are its own API
    snapshotPosition: () => ({ kind: 'none', why: 'Aurora gives the master user no way to pause its applier alone (nor FLUSH TABLES WITH READ LOCK)' }),
    resetBinaryLogsAndGtids: () => {
      throw new UnsupportedOperationError('Aurora does not allow resetting its binary logs and GTIDs', { next: 'never seed an Aurora instance with dbfleet: it is made by RDS' });
    },
    cloneSupported: false,
    cloneInstanceFrom: () => {
      throw new UnsupportedOperationError('Aurora has no CLONE plugin over the MySQL protocol (its clones are an RDS API)', { next: 'seed by logical dump' });
    },
    letAdminsWrite: () => {
      throw new UnsupportedOperationError('Aurora does not allow SET GLOBAL super_read_only: the instance role decides it', { next: 'never seed an Aurora instance with dbfleet: it is made by RDS' });
    },
  };
}

function setExternalSource(source: ChangeSource, word: 'master' | 'source'): Statement {
  if (source.kind === 'gtid' && source.startGtid !== undefined) {
    throw new InvalidMysqlArgumentError('startGtid applies to MariaDB only', {
      next: 'change source by GTID without startGtid; Aurora starts from its gtid_executed',
    });
  }
  const password = checkPassword(source.password);
  const lead = [quote(checkHost(source.host)), String(checkPort(source.port)), quote(checkUser(source.user))];
  const tail =
    source.kind === 'position'
      ? [quote(checkBinlogFile(source.file)), String(checkBinlogPosition(source.position)), source.ssl ? '1' : '0']
      : [source.ssl ? '1' : '0'];
  const proc = source.kind === 'position' ? `mysql.rds_set_external_${word}` : `mysql.rds_set_external_${word}_with_auto_position`;
  const render = (pw: string): string => `CALL ${proc}(${[...lead, pw, ...tail].join(', ')})`;
  return secretStatement(render(quote(password)), render(`'${MASK}'`), [password]);
}
