/**
 * Aurora's replication procedures, emulated on MariaDB for the sandbox's Aurora-like target.
 * MariaDB 10.11 runs CHANGE MASTER, START/STOP SLAVE, RESET SLAVE ALL and KILL inside a stored
 * procedure (checked on this machine), so each procedure runs the MariaDB equivalent: CHANGE MASTER
 * is built with QUOTE() and run as a prepared statement. The signatures are Aurora MySQL 2's, the
 * ones dbfleet's Aurora dialect calls; *_source aliases cover Aurora 3's names. The password is a
 * procedure argument: it never appears in the binlog (CHANGE MASTER is not logged).
 */
const CHANGE = (gtid: boolean): string => `
  SET @dbfleet_cm = CONCAT('CHANGE MASTER TO MASTER_HOST=', QUOTE(p_host), ', MASTER_PORT=', p_port,
    ', MASTER_USER=', QUOTE(p_user), ', MASTER_PASSWORD=', QUOTE(p_password),
    ${gtid ? "', MASTER_USE_GTID=slave_pos'" : "', MASTER_LOG_FILE=', QUOTE(p_file), ', MASTER_LOG_POS=', p_pos, ', MASTER_USE_GTID=no'"},
    ', MASTER_SSL=', IF(p_ssl = 1, 1, 0));
  PREPARE dbfleet_stmt FROM @dbfleet_cm;
  SET @dbfleet_cm = NULL;
  EXECUTE dbfleet_stmt;
  DEALLOCATE PREPARE dbfleet_stmt;`;

export const RDS_PROCEDURES: readonly string[] = [
  'DROP PROCEDURE IF EXISTS mysql.rds_set_external_master',
  `CREATE PROCEDURE mysql.rds_set_external_master(p_host VARCHAR(255), p_port INT, p_user VARCHAR(80), p_password TEXT, p_file VARCHAR(255), p_pos BIGINT, p_ssl TINYINT)
   BEGIN ${CHANGE(false)} END`,
  'DROP PROCEDURE IF EXISTS mysql.rds_set_external_master_with_auto_position',
  `CREATE PROCEDURE mysql.rds_set_external_master_with_auto_position(p_host VARCHAR(255), p_port INT, p_user VARCHAR(80), p_password TEXT, p_ssl TINYINT)
   BEGIN ${CHANGE(true)} END`,
  'DROP PROCEDURE IF EXISTS mysql.rds_start_replication',
  'CREATE PROCEDURE mysql.rds_start_replication() BEGIN START SLAVE; END',
  'DROP PROCEDURE IF EXISTS mysql.rds_stop_replication',
  'CREATE PROCEDURE mysql.rds_stop_replication() BEGIN STOP SLAVE; END',
  'DROP PROCEDURE IF EXISTS mysql.rds_reset_external_master',
  'CREATE PROCEDURE mysql.rds_reset_external_master() BEGIN STOP SLAVE; RESET SLAVE ALL; END',
  'DROP PROCEDURE IF EXISTS mysql.rds_kill',
  'CREATE PROCEDURE mysql.rds_kill(p_id BIGINT) BEGIN KILL CONNECTION p_id; END',
  // Aurora 3 spells them *_source.
  'DROP PROCEDURE IF EXISTS mysql.rds_set_external_source',
  `CREATE PROCEDURE mysql.rds_set_external_source(p_host VARCHAR(255), p_port INT, p_user VARCHAR(80), p_password TEXT, p_file VARCHAR(255), p_pos BIGINT, p_ssl TINYINT)
   BEGIN CALL mysql.rds_set_external_master(p_host, p_port, p_user, p_password, p_file, p_pos, p_ssl); END`,
  'DROP PROCEDURE IF EXISTS mysql.rds_reset_external_source',
  'CREATE PROCEDURE mysql.rds_reset_external_source() BEGIN CALL mysql.rds_reset_external_master(); END',
];
