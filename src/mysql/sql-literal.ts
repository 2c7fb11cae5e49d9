import mysql from 'mysql2';
import { InvalidMysqlArgumentError } from './mysql-errors.js';

/**
 * Literals and checked identifiers for statements that cannot take `?` placeholders (CHANGE
 * MASTER TO, CALL with a password). Strings go through mysql2's escape, the same escaping its
 * client-side placeholders use; everything that is not a free-form secret is validated first, so
 * a malformed host or file name is refused with a clear message instead of reaching the server.
 */
export function quote(value: string): string {
  return mysql.escape(value);
}

// Host names, IPv4 and IPv6 literals; no quotes, spaces or commas. MySQL caps SOURCE_HOST at 255.
const HOST = /^[A-Za-z0-9:][A-Za-z0-9._:-]{0,254}$/;
// Account names dbfleet creates and uses; MySQL allows more, but an operator never needs it.
const USER = /^[A-Za-z0-9_.$-]{1,80}$/;
// Binlog basenames such as "mysql-bin.000123" or "mysql-bin-changelog.012345".
const BINLOG_FILE = /^[A-Za-z0-9_.-]{1,255}$/;
// MySQL "uuid:1-5:7,uuid[:tag]:9" and MariaDB "0-1-100,1-2-5" GTID sets.
const GTID_SET = /^[0-9A-Za-z_:,\-\s]*$/;

function invalid(field: string, value: unknown, why: string): never {
  throw new InvalidMysqlArgumentError(`${field} ${JSON.stringify(value)} is invalid: ${why}`, {
    next: `pass a valid ${field}`,
  });
}

export function checkHost(host: string, field = 'source host'): string {
  if (!HOST.test(host)) invalid(field, host, 'expected a host name or an IP address');
  return host;
}

export function checkUser(user: string, field = 'replication user'): string {
  if (!USER.test(user)) invalid(field, user, 'expected 1-80 characters from A-Z a-z 0-9 _ . $ -');
  return user;
}

export function checkPort(port: number, field = 'source port'): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(field, port, 'expected an integer 1-65535');
  return port;
}

export function checkBinlogFile(file: string, field = 'binlog file'): string {
  if (!BINLOG_FILE.test(file)) invalid(field, file, 'expected a binlog file name such as mysql-bin.000123');
  return file;
}

/** Binlog positions start at 4 (after the magic header). */
export function checkBinlogPosition(position: number, field = 'binlog position'): number {
  if (!Number.isSafeInteger(position) || position < 4) invalid(field, position, 'expected an integer >= 4');
  return position;
}

export function checkGtidSet(gtidSet: string, field = 'GTID set'): string {
  if (!GTID_SET.test(gtidSet)) invalid(field, gtidSet, 'expected a GTID set such as 0-1-100 or uuid:1-100');
  return gtidSet;
}

export function checkPassword(password: string, field = 'replication password'): string {
  // The value itself is never echoed: it is a secret.
  if (typeof password !== 'string') invalid(field, '[redacted]', 'expected a string');
  return password;
}

/** Replica waits need a positive, finite timeout: 0 means "wait forever" to MASTER_POS_WAIT. */
export function checkWaitTimeout(timeoutMs: number, field = 'wait timeout (ms)'): number {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) invalid(field, timeoutMs, 'expected a number > 0');
  return timeoutMs;
}

/** A processlist id (KILL, mysql.rds_kill): a positive integer. */
export function checkThreadId(id: number, field = 'connection id'): number {
  if (!Number.isSafeInteger(id) || id <= 0) invalid(field, id, 'expected an integer > 0');
  return id;
}
