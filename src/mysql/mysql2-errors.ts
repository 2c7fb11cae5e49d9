import { DbfleetError, TimeoutError } from '../core/errors.js';
import { MysqlErrorCode, mysqlRemoteError } from './mysql-errors.js';
import { scrubSecrets } from './scrub.js';

/**
 * Translates mysql2 errors into dbfleet's typed errors at the adapter boundary. The driver's error
 * object is never kept as `cause`: it carries the SQL text (`.sql`), which may hold a password.
 * What survives is the scrubbed message and the driver/server codes in `details`.
 */
export interface DriverError {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  sqlState?: unknown;
  sqlMessage?: unknown;
  syscall?: unknown;
  fatal?: unknown;
}

export interface ErrorContext {
  phase: 'connect' | 'query';
  /** "127.0.10.1:3306" or the socket path. */
  server: string;
  /** Secrets to scrub: the endpoint's password and the statement's own. */
  secrets: readonly string[];
  /** The statement as it may be shown (redacted), when the error came from one. */
  statement?: string | undefined;
  statementHadSecrets?: boolean;
  timeoutMs?: number;
}

const ACCESS_DENIED = new Set([1044, 1045, 1698]);
const PRIVILEGE = new Set([1142, 1143, 1227, 1370]);
const READ_ONLY = new Set([1290, 1836]);
const RETRYABLE_SERVER = new Set([1205, 1213, 1040, 1053]);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN']);
const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED']);

export function translateMysqlError(error: unknown, ctx: ErrorContext): DbfleetError {
  if (error instanceof DbfleetError) return error;
  const e: DriverError = typeof error === 'object' && error !== null ? (error as DriverError) : { message: String(error) };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  const raw = typeof e.sqlMessage === 'string' ? e.sqlMessage : typeof e.message === 'string' ? e.message : String(error);
  const text = scrubSecrets(raw, ctx.secrets, ctx.statementHadSecrets ?? false);
  const details: Record<string, unknown> = { server: ctx.server, phase: ctx.phase };
  if (code) details['mysqlCode'] = code;
  if (errno !== undefined) details['errno'] = errno;
  if (typeof e.sqlState === 'string') details['sqlState'] = e.sqlState;
  if (ctx.statement) details['statement'] = ctx.statement;
  const where = ctx.phase === 'connect' ? `connecting to ${ctx.server}` : `query on ${ctx.server}`;

  if (code === 'PROTOCOL_SEQUENCE_TIMEOUT' || (code === 'ETIMEDOUT' && ctx.phase === 'connect')) {
    const limit = ctx.timeoutMs === undefined ? '' : ` within ${ctx.timeoutMs} ms`;
    return new TimeoutError(`${where}: no answer${limit}`, {
      details,
      next: 'check that the server is up and not hung (load, stopped process, network); the session was closed',
    });
  }
  if (errno !== undefined && ACCESS_DENIED.has(errno)) {
    return mysqlRemoteError(MysqlErrorCode.accessDenied, `${where}: ${text}`, {
      details,
      next: 'check the user, password and host grants configured for this endpoint',
    });
  }
  if (errno !== undefined && PRIVILEGE.has(errno)) {
    return mysqlRemoteError(MysqlErrorCode.privilege, `${where}: ${text}`, {
      details,
      next: 'grant the missing privilege to dbfleet\'s admin user',
    });
  }
  if (errno !== undefined && READ_ONLY.has(errno)) {
    return mysqlRemoteError(MysqlErrorCode.readOnly, `${where}: ${text}`, { details, next: 'run it on the writer' });
  }
  if (code !== undefined && CONNECT_CODES.has(code)) {
    return mysqlRemoteError(MysqlErrorCode.connect, `${where}: ${text}`, {
      details,
      retryable: true,
      next: 'check that mysqld runs and listens on this address (or socket)',
    });
  }
  if ((code !== undefined && LOST_CODES.has(code)) || /closed state/.test(raw)) {
    return mysqlRemoteError(MysqlErrorCode.connectionLost, `${where}: connection lost (${text})`, {
      details,
      retryable: true,
      next: 'reconnect; if it repeats, check the server log for crashes or wait_timeout',
    });
  }
  const fallback = ctx.phase === 'connect' ? MysqlErrorCode.connect : MysqlErrorCode.query;
  return mysqlRemoteError(fallback, `${where}: ${text}`, {
    details,
    retryable: ctx.phase === 'connect' || (errno !== undefined && RETRYABLE_SERVER.has(errno)),
  });
}

/** The error for a session used after it was closed, destroyed, or broken by a timeout. */
export function sessionClosedError(server: string, reason: string): DbfleetError {
  return mysqlRemoteError(MysqlErrorCode.sessionClosed, `session to ${server} is closed (${reason})`, {
    retryable: true,
    next: 'open a new session',
  });
}
