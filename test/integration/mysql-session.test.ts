/**
 * The mysql2 session against a real server of each engine (TEST_ENGINES: MariaDB 10.11 and
 * Oracle MySQL 9.7, whose admin user authenticates with caching_sha2_password over TCP without
 * TLS): results of each statement kind, and the fault paths. A hung (SIGSTOPped) server must fail
 * queries and new connections within their deadlines, and no error may carry a password. Each
 * engine refuses the other's statements with typed errors; on MySQL 9.7 that includes every
 * legacy statement it removed (which the dialect tables still build for 5.7 / 8.0 / Aurora).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, TimeoutError, isDbfleetError } from '../../src/core/errors.js';
import type { Timeouts } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { MysqlErrorCode } from '../../src/mysql/mysql-errors.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { TEST_ENGINES } from '../support/engines.js';
import { eventually } from '../support/sandbox-fixture.js';
import { ADMIN_USER, ServerFixture, type TestServer } from './mysql-fixture.js';

const TIMEOUTS: Timeouts = { connectTimeoutMs: 1_000, queryTimeoutMs: 3_000 };

/** Everything an operator or a log could see of an error: message, details, cause chain. */
function everything(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message, cur.stack ?? '', JSON.stringify(cur), isDbfleetError(cur) ? `${cur.describe()} ${JSON.stringify(cur.details)}` : '');
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      cur = undefined;
    }
  }
  return parts.join('\n');
}

async function timed<T>(work: () => Promise<T>): Promise<{ error: unknown; ms: number }> {
  const t0 = performance.now();
  try {
    await work();
    return { error: undefined, ms: performance.now() - t0 };
  } catch (error) {
    return { error, ms: performance.now() - t0 };
  }
}

describe.each(TEST_ENGINES)('session: results, deadlines, errors (%s)', (engine: EngineKind) => {
  let fixture: ServerFixture;
  let server: TestServer;

  beforeAll(async () => {
    fixture = await ServerFixture.create(engine);
    server = await fixture.start('faults', 11);
  });

  afterAll(async () => {
    await fixture?.destroy();
  });

  it('returns rows for SELECT and CALL (Aurora procedures are CALLs), counts for writes', async () => {
    const session = await openSession(server.endpoint({ socketPath: server.socket }), TIMEOUTS);
    try {
      expect(session.threadId).toBeGreaterThan(0);
      await session.execute('CREATE DATABASE IF NOT EXISTS s');
      await session.execute('CREATE TABLE IF NOT EXISTS s.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))');
      expect(await session.execute('INSERT INTO s.t (v) VALUES (?), (?)', ['a', 'b'])).toEqual({ affectedRows: 2, insertId: 1 });
      expect(await session.query('SELECT v FROM s.t WHERE id = ?', [2])).toEqual([{ v: 'b' }]);
      await session.execute('CREATE PROCEDURE s.answer() SELECT 42 AS answer');
      await session.execute('CREATE PROCEDURE s.nothing() BEGIN END');
      expect(await session.query('CALL s.answer()')).toEqual([{ answer: 42 }]);
      expect(await session.query('CALL s.nothing()')).toEqual([]);
      expect(await session.query('SET @x = 1')).toEqual([]);
      // multipleStatements is off: a second statement is a syntax error, never run.
      await expect(session.query('SELECT 1; DROP DATABASE s')).rejects.toMatchObject({ code: MysqlErrorCode.query });
      expect(await session.query("SHOW DATABASES LIKE 's'")).toHaveLength(1);
    } finally {
      await session.close();
    }
  });

  it('a query on an existing session to a SIGSTOPped server fails with TimeoutError within its timeout', async () => {
    const admin = await connectAdmin(server.endpoint(), TIMEOUTS);
    try {
      expect(await admin.role()).toBe('writer');
      await server.pause();
      try {
        const { error } = await timed(() => admin.role({ timeoutMs: 800 }));
        expect(error).toBeInstanceOf(TimeoutError);
        expect(String((error as TimeoutError).message)).toMatch(/no answer within 800 ms/);
        expect((error as TimeoutError).details).toMatchObject({ server: `${server.host}:3306`, statement: 'SELECT @@read_only AS ro' });
        // The session was destroyed: later use fails at once, it does not hang either.
        const again = await timed(() => admin.role({ timeoutMs: 800 }));
        expect(again.error).toMatchObject({ code: MysqlErrorCode.sessionClosed });
      } finally {
        server.resume();
      }
    } finally {
      await admin.close();
    }
  });

  it('a new connection to a SIGSTOPped server fails within connectTimeout, over TCP and the socket', async () => {
    await server.pause();
    try {
      for (const endpoint of [server.endpoint(), server.endpoint({ socketPath: server.socket })]) {
        const { error } = await timed(() => connectAdmin(endpoint, { connectTimeoutMs: 700, queryTimeoutMs: 700 }));
        expect(error).toBeInstanceOf(TimeoutError);
      }
    } finally {
      server.resume();
    }
    // Resumed, it answers again.
    const admin = await connectAdmin(server.endpoint(), TIMEOUTS);
    expect(await admin.role()).toBe('writer');
    await admin.close();
  });

  it('an AbortSignal cancels a long query at once', async () => {
    const session = await openSession(server.endpoint(), TIMEOUTS);
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('operator pressed ^C')), 200);
      const { error } = await timed(() => session.query('SELECT SLEEP(5) AS s', [], { signal: controller.signal, timeoutMs: 10_000 }));
      expect(error).toBeInstanceOf(AbortedError);
    } finally {
      session.destroy();
    }
  });

  const running = async (like: string): Promise<number> => {
    const watcher = await openSession(server.endpoint(), TIMEOUTS);
    try {
      return Number((await watcher.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE ? AND command <> 'Killed'", [like]))[0]?.['n']);
    } finally {
      await watcher.close();
    }
  };

  it('a timed-out statement is killed on the server when asked (killOnTimeout); otherwise only the connection is dropped and the server runs on', async () => {
    const killing = await openSession(server.endpoint(), TIMEOUTS);
    const error = await killing.query('SELECT SLEEP(30) AS k1', [], { timeoutMs: 300, killOnTimeout: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(String((error as TimeoutError).message)).toMatch(/no answer within 300 ms; the statement was killed on the server \(KILL \d+\)/);
    expect((error as TimeoutError).details).toMatchObject({ kill: 'killed', thread: killing.threadId });
    await eventually('the killed statement gone from the server', async () => (await running('SELECT SLEEP(30) AS k1')) === 0);
    // the same timeout without it: the server still runs the statement
    const dropping = await openSession(server.endpoint(), TIMEOUTS);
    const dropped = await dropping.query('SELECT SLEEP(30) AS k2', [], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(TimeoutError);
    expect((dropped as TimeoutError).details['kill']).toBeUndefined();
    expect(await running('SELECT SLEEP(30) AS k2')).toBe(1);
    const admin = await connectAdmin(server.endpoint(), TIMEOUTS);
    try {
      await admin.session.query('KILL ?', [dropping.threadId]);
    } finally {
      await admin.close();
    }
  });

  // SET GLOBAL read_only = 1 waits for the global read lock behind a running write, and every new
  // write then queues behind it. Given up on, it must not take effect once that write ends.
  it('read_only = 1 that times out behind a running write is killed on the server: the write ends and the server stays writable', async () => {
    const setup = await openSession(server.endpoint(), TIMEOUTS);
    const writer = await openSession(server.endpoint(), { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
    const admin = await connectAdmin(server.endpoint(), TIMEOUTS);
    try {
      await setup.execute('CREATE DATABASE IF NOT EXISTS s');
      await setup.execute('CREATE TABLE IF NOT EXISTS s.k (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
      await setup.execute('REPLACE INTO s.k VALUES (1, 0)');
      const write = writer.execute('UPDATE s.k SET v = SLEEP(3) WHERE id = 1');
      await eventually('the write runs', async () => (await running('UPDATE s.k SET v = SLEEP(3)%')) === 1);
      const error = await admin.setReadOnly(true, { timeoutMs: 500 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).details).toMatchObject({ kill: 'killed' });
      expect(await write).toMatchObject({ affectedRows: expect.any(Number) });
      // the write has ended, so a read_only left waiting would have taken effect by now
      const after = await connectAdmin(server.endpoint(), TIMEOUTS);
      try {
        expect(await after.role()).toBe('writer');
        expect(await running('SET GLOBAL read_only%')).toBe(0);
      } finally {
        await after.close();
      }
    } finally {
      await Promise.all([setup.close(), writer.close(), admin.close()]);
    }
  });

  it('a wrong password gives MYSQL_ACCESS_DENIED without the password anywhere in the error', async () => {
    const wrong = 'Wr0ng-S3cret-do-not-leak';
    const { error } = await timed(() => connectAdmin(server.endpoint({ password: wrong }), TIMEOUTS));
    expect(error).toMatchObject({ code: MysqlErrorCode.accessDenied, fault: 'remote' });
    expect((error as Error).message).toMatch(/Access denied/);
    expect(everything(error)).not.toContain(wrong);
  });

  it('a refused connection is a retryable MYSQL_CONNECT error', async () => {
    const { error } = await timed(() => connectAdmin(server.endpoint({ port: 3307 }), TIMEOUTS));
    expect(error).toMatchObject({ code: MysqlErrorCode.connect, retryable: true });
  });

  it('a failing change of source does not leak the replication password, even when the server echoes it', async () => {
    const admin = await connectAdmin(server.endpoint(), TIMEOUTS);
    try {
      // Longer than the server accepts for the password: MariaDB quotes the value in its error,
      // MySQL 9.7 names the limit only.
      const secret = `s3cret'${'x'.repeat(120)}`;
      const { error } = await timed(() =>
        admin.changeSource({ kind: 'position', host: '127.0.0.1', port: 3306, user: 'repl', password: secret, file: 'bin.000001', position: 4 }),
      );
      expect(isDbfleetError(error)).toBe(true);
      // The server's reason survives; only the value is masked.
      expect((error as Error).message).toMatch(engine === 'mysql' ? /password provided for the replication user exceeds the maximum length of 32/ : /too long for MASTER_PASSWORD/);
      const text = everything(error);
      expect(text).not.toContain(secret);
      expect(text).not.toContain('xxxxxxxx');
      const statement = (error as { details: Record<string, unknown> }).details['statement'];
      expect(statement).toContain(engine === 'mysql' ? "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '127.0.0.1'" : 'CHANGE MASTER TO');
      expect(statement).toContain(engine === 'mysql' ? "SOURCE_PASSWORD = '***'" : "MASTER_PASSWORD = '***'");
    } finally {
      await admin.close();
    }
  });

  it('a syntax error in a statement with secrets withholds the echoed statement text', async () => {
    const session = await openSession(server.endpoint(), TIMEOUTS);
    try {
      const secret = 'pw-in-a-broken-statement';
      // a missing comma right before the password: the server's "near '…'" quotes it
      const [head, k] = engine === 'mysql' ? ['CHANGE REPLICATION SOURCE TO', 'SOURCE'] : ['CHANGE MASTER TO', 'MASTER'];
      const { error } = await timed(() =>
        session.query(`${head} ${k}_HOST = 'h' ${k}_PASSWORD = '${secret}'`, [], { secrets: [secret], redactedSql: `${head} …` }),
      );
      expect(error).toMatchObject({ code: MysqlErrorCode.query, details: { errno: 1064, statement: `${head} …` } });
      expect((error as Error).message).toContain('statement text withheld');
      expect(everything(error)).not.toContain(secret);
      expect(everything(error)).not.toContain('pw-in-a');
    } finally {
      await session.close();
    }
  });

  // What the other engine (or Aurora) has and this one lacks is a typed error, never a hang or a
  // broken session. On MySQL 9.7 these include the legacy statements it removed, which the dialect
  // tables still build for MySQL 5.7 / 8.0 and Aurora 2 / 3 (test/unit/mysql-dialect-versions).
  const refused: Record<EngineKind, [string, number][]> = {
    mariadb: [
      ['SELECT @@super_read_only', 1193],
      ['SELECT @@gtid_executed', 1193],
      ['SHOW BINARY LOG STATUS', 1064],
      ['SHOW REPLICAS', 1064],
      ["CHANGE REPLICATION SOURCE TO SOURCE_HOST = 'h'", 1064],
      ["SELECT WAIT_FOR_EXECUTED_GTID_SET('', 1)", 1305],
    ],
    mysql: [
      ['SELECT @@gtid_slave_pos', 1193],
      ['SELECT @@gtid_binlog_state', 1193],
      ['SELECT @@innodb_read_only_compressed', 1193],
      ['SHOW ALL SLAVES STATUS', 1064],
      ["CHANGE MASTER TO MASTER_HOST = 'h'", 1064],
      ['SHOW SLAVE STATUS', 1064],
      ['SHOW MASTER STATUS', 1064],
      ['START SLAVE', 1064],
      ['STOP SLAVE', 1064],
      ['RESET SLAVE ALL', 1064],
      ['RESET MASTER', 1064],
      ['SHOW SLAVE HOSTS', 1064],
      ["SELECT MASTER_GTID_WAIT('0-1-1', 1)", 1305],
      ["SELECT BINLOG_GTID_POS('bin.000001', 4)", 1305],
    ],
  };

  it.each(refused[engine])('refuses %s with a typed error (errno %i), and the session goes on', async (sql, errno) => {
    // a default database, so an unknown function is "does not exist" (1305), not "no database" (1046)
    const session = await openSession(server.endpoint({ database: 'mysql' }), TIMEOUTS);
    try {
      const { error } = await timed(() => session.query(sql));
      expect(error).toMatchObject({ code: MysqlErrorCode.query, details: { errno } });
      // A server error does not break the session.
      expect(await session.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await session.close();
    }
  });

  if (engine === 'mysql') it('authenticates caching_sha2_password users over TCP without TLS, on first contact and from the cache', async () => {
    expect(await server.root(`SELECT plugin FROM mysql.user WHERE user = '${ADMIN_USER}'`)).toEqual([{ plugin: 'caching_sha2_password' }]);
    const password = `n3w'user"pw\\`;
    await server.root(`CREATE USER 'sha2user'@'%' IDENTIFIED WITH caching_sha2_password BY '${password.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
    // FLUSH PRIVILEGES empties the server's authentication cache: the next login takes the full
    // path (RSA key exchange on a connection without TLS), the one after it the fast path
    await server.root('FLUSH PRIVILEGES');
    for (const round of ['full authentication', 'cached']) {
      const session = await openSession({ host: server.host, port: 3306, user: 'sha2user', password }, TIMEOUTS);
      try {
        const [row] = await session.query('SELECT CURRENT_USER() AS u');
        const [tls] = await session.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
        expect({ round, u: row?.['u'], tls: tls?.['Value'] }).toEqual({ round, u: 'sha2user@%', tls: '' });
      } finally {
        await session.close();
      }
    }
    const wrong = await timed(() => openSession({ host: server.host, port: 3306, user: 'sha2user', password: 'nope' }, TIMEOUTS));
    expect(wrong.error).toMatchObject({ code: MysqlErrorCode.accessDenied });
  });
});
