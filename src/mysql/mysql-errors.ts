import { DbfleetError, RemoteError, type DbfleetErrorOptions } from '../core/errors.js';

/** Thrown when a server's version or flavour is one dbfleet has no dialect for. */
export class UnsupportedServerError extends DbfleetError {
  readonly code = 'MYSQL_UNSUPPORTED_VERSION';
  readonly fault = 'remote' as const;
}

/** Thrown when the configured engine (flavour hint) is not what the server says it is. */
export class FlavorMismatchError extends DbfleetError {
  readonly code = 'MYSQL_FLAVOR_MISMATCH';
  readonly fault = 'operator' as const;
}

/** Thrown when an operation cannot be done on this flavour at all (e.g. SET read_only on Aurora). */
export class UnsupportedOperationError extends DbfleetError {
  readonly code = 'MYSQL_UNSUPPORTED_OPERATION';
  readonly fault = 'operator' as const;
}

/** Thrown when a host, user, binlog file, position or GTID set handed to the admin layer is malformed. */
export class InvalidMysqlArgumentError extends DbfleetError {
  readonly code = 'MYSQL_INVALID_ARGUMENT';
  readonly fault = 'operator' as const;
}

/** Stable codes of the RemoteErrors raised by src/mysql, so callers can switch on them. */
export const MysqlErrorCode = {
  connect: 'MYSQL_CONNECT',
  accessDenied: 'MYSQL_ACCESS_DENIED',
  privilege: 'MYSQL_PRIVILEGE',
  readOnly: 'MYSQL_READ_ONLY',
  connectionLost: 'MYSQL_CONNECTION_LOST',
  sessionClosed: 'MYSQL_SESSION_CLOSED',
  query: 'MYSQL_QUERY',
  /** A replica wait could not run: replication is not configured or its SQL thread is stopped. */
  replicationNotRunning: 'MYSQL_REPLICATION_NOT_RUNNING',
  binlogDisabled: 'MYSQL_BINLOG_DISABLED',
  unexpectedResult: 'MYSQL_UNEXPECTED_RESULT',
  verifyFailed: 'MYSQL_VERIFY_FAILED',
} as const;

export type MysqlErrorCode = (typeof MysqlErrorCode)[keyof typeof MysqlErrorCode];

export function mysqlRemoteError(code: MysqlErrorCode, message: string, options?: DbfleetErrorOptions): RemoteError {
  return new RemoteError(code, message, options);
}
