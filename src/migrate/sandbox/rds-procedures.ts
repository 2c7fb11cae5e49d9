/**
 * Aurora's replication procedures, emulated as stored procedures for the sandbox's Aurora-like
 * target: each runs what it stands for on the base server. Both MariaDB 10.11 and MySQL 9.7 run a
 * PREPAREd CHANGE MASTER / CHANGE REPLICATION SOURCE, START/STOP, RESET ... ALL and KILL inside a
 * stored procedure (checked on this machine). The change of source is built with QUOTE() and run as
 * a prepared statement; the password is a procedure argument and never reaches the binlog (a change
 * of source is not logged), and the user variable holding the statement is cleared at once.
 *
 * What is emulated, with the argument lists of the Aurora reference manuals:
 * - on MariaDB, Aurora MySQL 2 (5.7): rds_set_external_master(host, port, user, password, file,
 *   position, ssl), rds_set_external_master_with_auto_position(host, port, user, password, ssl),
 *   rds_reset_external_master(), rds_start_replication(), rds_stop_replication(), rds_kill(id);
 *   with *_source aliases of the set/reset procedures;
 * - on MySQL, Aurora MySQL 3 (8.0): rds_set_external_source(host, port, user, password, file,
 *   position, ssl), rds_set_external_source_with_auto_position(host, port, user, password, ssl),
 *   rds_reset_external_source(), rds_start_replication(), rds_stop_replication(), rds_kill(id),
 *   rds_assign_gtids_to_anonymous_transactions(gtid_option: 'OFF' | 'LOCAL' | a UUID).
 *
 * What differs from real Aurora: the procedures are created by the sandbox's admin in the `mysql`
 * schema (Aurora 3 forbids that to its users; its procedures belong to rdsadmin); they report no
 * result message; the MySQL ones add GET_SOURCE_PUBLIC_KEY = 1 (9.7 knows only
 * caching_sha2_password, where Aurora 3 would need ssl_encryption = 1 for such a user); the
 * emulated role query is @@read_only, not innodb_read_only (aurora-emulated-dialect.ts).
 */
type Flavor = 'mariadb' | 'mysql';

const CHANGE_MARIADB = (gtid: boolean): string => `
  SET @dbfleet_cm = CONCAT('CHANGE MASTER TO MASTER_HOST=', QUOTE(p_host), ', MASTER_PORT=', p_port,
    ', MASTER_USER=', QUOTE(p_user), ', MASTER_PASSWORD=', QUOTE(p_password),
    ${gtid ? "', MASTER_USE_GTID=slave_pos'" : "', MASTER_LOG_FILE=', QUOTE(p_file), ', MASTER_LOG_POS=', p_pos, ', MASTER_USE_GTID=no'"},
    ', MASTER_SSL=', IF(p_ssl = 1, 1, 0));
  PREPARE dbfleet_stmt FROM @dbfleet_cm;
  SET @dbfleet_cm = NULL;
  EXECUTE dbfleet_stmt;
  DEALLOCATE PREPARE dbfleet_stmt;`;

const CHANGE_MYSQL = (gtid: boolean): string => `
  SET @dbfleet_cm = CONCAT('CHANGE REPLICATION SOURCE TO SOURCE_HOST=', QUOTE(p_host), ', SOURCE_PORT=', p_port,
    ', SOURCE_USER=', QUOTE(p_user), ', SOURCE_PASSWORD=', QUOTE(p_password),
    ${gtid ? "', SOURCE_AUTO_POSITION=1'" : "', SOURCE_AUTO_POSITION=0, SOURCE_LOG_FILE=', QUOTE(p_file), ', SOURCE_LOG_POS=', p_pos"},
    ', SOURCE_SSL=', IF(p_ssl = 1, 1, 0), ', GET_SOURCE_PUBLIC_KEY=1');
  PREPARE dbfleet_stmt FROM @dbfleet_cm;
  SET @dbfleet_cm = NULL;
  EXECUTE dbfleet_stmt;
  DEALLOCATE PREPARE dbfleet_stmt;`;

const POSITION_ARGS = 'p_host VARCHAR(255), p_port INT, p_user VARCHAR(80), p_password TEXT, p_file VARCHAR(255), p_pos BIGINT, p_ssl TINYINT';
const AUTO_ARGS = 'p_host VARCHAR(255), p_port INT, p_user VARCHAR(80), p_password TEXT, p_ssl TINYINT';

function proc(name: string, args: string, body: string): string[] {
  return [`DROP PROCEDURE IF EXISTS mysql.${name}`, `CREATE PROCEDURE mysql.${name}(${args}) BEGIN ${body} END`];
}

const MARIADB: readonly string[] = [
  ...proc('rds_set_external_master', POSITION_ARGS, CHANGE_MARIADB(false)),
  ...proc('rds_set_external_master_with_auto_position', AUTO_ARGS, CHANGE_MARIADB(true)),
  ...proc('rds_start_replication', '', 'START SLAVE;'),
  ...proc('rds_stop_replication', '', 'STOP SLAVE;'),
  ...proc('rds_reset_external_master', '', 'STOP SLAVE; RESET SLAVE ALL;'),
  ...proc('rds_kill', 'p_id BIGINT', 'KILL CONNECTION p_id;'),
  // Aurora 3 spells them *_source.
  ...proc('rds_set_external_source', POSITION_ARGS, 'CALL mysql.rds_set_external_master(p_host, p_port, p_user, p_password, p_file, p_pos, p_ssl);'),
  ...proc('rds_reset_external_source', '', 'CALL mysql.rds_reset_external_master();'),
];

const MYSQL: readonly string[] = [
  ...proc('rds_set_external_source', POSITION_ARGS, CHANGE_MYSQL(false)),
  ...proc('rds_set_external_source_with_auto_position', AUTO_ARGS, CHANGE_MYSQL(true)),
  ...proc('rds_start_replication', '', 'START REPLICA;'),
  ...proc('rds_stop_replication', '', 'STOP REPLICA;'),
  ...proc('rds_reset_external_source', '', 'STOP REPLICA; RESET REPLICA ALL;'),
  ...proc('rds_kill', 'p_id BIGINT', 'KILL CONNECTION p_id;'),
  // OFF and LOCAL are keywords, a UUID a string literal; anything else is refused before it reaches the statement.
  ...proc(
    'rds_assign_gtids_to_anonymous_transactions',
    'p_option VARCHAR(36)',
    `IF UPPER(p_option) IN ('OFF', 'LOCAL') THEN
       SET @dbfleet_cm = CONCAT('CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = ', UPPER(p_option));
     ELSEIF p_option REGEXP '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN
       SET @dbfleet_cm = CONCAT('CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = ', QUOTE(p_option));
     ELSE
       SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'gtid_option must be OFF, LOCAL or a UUID';
     END IF;
     PREPARE dbfleet_stmt FROM @dbfleet_cm;
     SET @dbfleet_cm = NULL;
     EXECUTE dbfleet_stmt;
     DEALLOCATE PREPARE dbfleet_stmt;`,
  ),
];

/** The statements that install the emulated procedures on a target writer of that flavour. */
export function rdsProcedures(flavor: Flavor): readonly string[] {
  return flavor === 'mysql' ? MYSQL : MARIADB;
}
