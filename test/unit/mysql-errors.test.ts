import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/core/errors.js';
import { MysqlErrorCode } from '../../src/mysql/mysql-errors.js';
import { translateMysqlError, type ErrorContext } from '../../src/mysql/mysql2-errors.js';
import { scrubSecrets } from '../../src/mysql/scrub.js';

/** Errors shaped as mysql2 raises them (code, errno, sqlState, sqlMessage, sql, fatal). */
function driverError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields['message'] ?? fields['sqlMessage'] ?? 'error')), fields);
}

const SECRET = "s3cr'et";
const query: ErrorContext = { phase: 'query', server: '10.0.1.5:3306', secrets: [SECRET], statement: 'SELECT 1', timeoutMs: 800 };
const connect: ErrorContext = { phase: 'connect', server: '10.0.1.5:3306', secrets: [SECRET], timeoutMs: 1_000 };

describe('translateMysqlError', () => {
  it.each<[string, Record<string, unknown>, ErrorContext, string, boolean]>([
    ['query timeout', { message: 'Query inactivity timeout', code: 'PROTOCOL_SEQUENCE_TIMEOUT' }, query, 'TIMEOUT', true],
    ['connect timeout', { message: 'connect ETIMEDOUT', code: 'ETIMEDOUT', syscall: 'connect' }, connect, 'TIMEOUT', true],
    ['refused', { message: 'connect ECONNREFUSED 10.0.1.5:3306', code: 'ECONNREFUSED' }, connect, MysqlErrorCode.connect, true],
    ['socket missing', { message: 'connect ENOENT /run/mysqld.sock', code: 'ENOENT' }, connect, MysqlErrorCode.connect, true],
    ['access denied', { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000', sqlMessage: "Access denied for user 'dbfleet'@'10.0.1.9' (using password: YES)" }, connect, MysqlErrorCode.accessDenied, false],
    ['missing privilege', { code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR', errno: 1227, sqlMessage: 'Access denied; you need (at least one of) the SUPER, REPLICATION_SLAVE_ADMIN privilege(s) for this operation' }, query, MysqlErrorCode.privilege, false],
    ['read-only server', { code: 'ER_OPTION_PREVENTS_STATEMENT', errno: 1290, sqlMessage: 'The MySQL server is running with the --read-only option so it cannot execute this statement' }, query, MysqlErrorCode.readOnly, false],
    ['connection lost', { message: 'Connection lost: The server closed the connection.', code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, query, MysqlErrorCode.connectionLost, true],
    ['closed state', { message: "Can't add new command when connection is in closed state", fatal: true }, query, MysqlErrorCode.connectionLost, true],
    ['deadlock', { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlMessage: 'Deadlock found when trying to get lock; try restarting transaction' }, query, MysqlErrorCode.query, true],
    ['unknown variable', { code: 'ER_UNKNOWN_SYSTEM_VARIABLE', errno: 1193, sqlMessage: "Unknown system variable 'super_read_only'" }, query, MysqlErrorCode.query, false],
  ])('%s', (_label, fields, ctx, code, retryable) => {
    const err = translateMysqlError(driverError(fields), ctx);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toContain('10.0.1.5:3306');
    expect(err.details).toMatchObject({ server: '10.0.1.5:3306', phase: ctx.phase });
    if (code === 'TIMEOUT') expect(err).toBeInstanceOf(TimeoutError);
  });

  it('never keeps the driver error (its .sql holds the statement) and scrubs secrets from the message', () => {
    const raw = driverError({
      code: 'ER_WRONG_STRING_LENGTH',
      errno: 1470,
      sqlMessage: `String '${SECRET}' is too long for MASTER_PASSWORD (should be no longer than 32)`,
      sql: `CHANGE MASTER TO MASTER_PASSWORD = 's3cr\\'et'`,
    });
    const err = translateMysqlError(raw, { ...query, statement: "CHANGE MASTER TO MASTER_PASSWORD = '***'", statementHadSecrets: true });
    expect(err.cause).toBeUndefined();
    const visible = `${err.message} ${JSON.stringify(err.details)} ${err.describe()}`;
    expect(visible).not.toContain('s3cr');
    expect(err.message).toContain('too long for MASTER_PASSWORD');
    expect(err.details).toMatchObject({ errno: 1470, mysqlCode: 'ER_WRONG_STRING_LENGTH', statement: "CHANGE MASTER TO MASTER_PASSWORD = '***'" });
  });
});

describe('scrubSecrets', () => {
  it('removes raw and escaped forms of each secret', () => {
    expect(scrubSecrets(`a s3cr'et b s3cr\\'et c`, [SECRET], false)).toBe('a *** b *** c');
  });

  it('withholds the echoed statement of a syntax error when the statement held a secret, even a cut one', () => {
    const message = "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'MASTER_PASSWORD = 'hunter2-lo' at line 1";
    const out = scrubSecrets(message, ['hunter2-long-password'], true);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('You have an error in your SQL syntax');
  });

  it('leaves text alone when there is nothing to hide', () => {
    expect(scrubSecrets("near 'FOO' at line 1", [], false)).toBe("near 'FOO' at line 1");
  });
});
