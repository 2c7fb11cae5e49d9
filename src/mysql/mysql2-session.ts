import mysql from 'mysql2';
import { AbortedError, DbfleetError, TimeoutError, errorMessage, isDbfleetError } from '../core/errors.js';
import { withDeadline } from '../core/deadline.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Endpoint, QueryOptions, Row, SqlSession, Timeouts } from './admin.js';
import { sessionClosedError, translateMysqlError, type ErrorContext } from './mysql2-errors.js';
import { describeServer } from './server-name.js';

/**
 * SqlSession over one mysql2 connection. mysql2 alone hangs forever on a query to a server that
 * stopped answering (SIGSTOP, a dead NAT entry), so every query gets two bounds: mysql2's own
 * per-query `timeout` and an outer deadline a little later, for when the query never even started
 * (queued behind a stuck one). Either way the connection is destroyed: a protocol stream with an
 * unanswered command in flight cannot be reused.
 */

/** The slice of mysql2's Connection this adapter uses (kysely-style: declare what you need). */
interface DriverConnection {
  readonly threadId: number | null;
  query(options: { sql: string; values?: unknown[]; timeout?: number }, callback: (err: unknown, result?: unknown) => void): unknown;
  connect(callback: (err: unknown) => void): void;
  end(callback: (err?: unknown) => void): void;
  destroy(): void;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  /** Not in mysql2's typings, present at runtime: destroy() only half-closes, this drops the socket. */
  stream?: { destroy(): void };
}

export interface OpenSessionOptions {
  signal?: AbortSignal;
  logger?: Logger;
}

/** Extra time the outer deadline allows beyond mysql2's own timers, so theirs normally fire first. */
const OUTER_GRACE_MS = 250;
const MAX_CLOSE_WAIT_MS = 2_000;
const MAX_STATEMENT_IN_ERRORS = 300;

export async function openSession(endpoint: Endpoint, timeouts: Timeouts, options: OpenSessionOptions = {}): Promise<SqlSession> {
  const server = describeServer(endpoint);
  const secrets = endpoint.password ? [endpoint.password] : [];
  const ctx: ErrorContext = { phase: 'connect', server, secrets, timeoutMs: timeouts.connectTimeoutMs };
  let conn: DriverConnection | undefined;
  try {
    return await withDeadline(
      `connecting to ${server}`,
      timeouts.connectTimeoutMs + OUTER_GRACE_MS,
      (signal) =>
        new Promise<SqlSession>((resolve, reject) => {
          const c = createDriverConnection(endpoint, timeouts);
          conn = c;
          signal.addEventListener('abort', () => hardDestroy(c), { once: true });
          c.connect((err) => {
            if (err) reject(err);
            else resolve(new Mysql2Session(c, endpoint, server, secrets, timeouts, options.logger ?? silentLogger));
          });
        }),
      options.signal,
    );
  } catch (e) {
    if (conn) hardDestroy(conn);
    throw withContext(translateMysqlError(e, ctx), ctx, `connecting to ${server}`);
  }
}

function createDriverConnection(endpoint: Endpoint, timeouts: Timeouts): DriverConnection {
  const c = mysql.createConnection({
    ...(endpoint.socketPath ? { socketPath: endpoint.socketPath } : { host: endpoint.host, port: endpoint.port }),
    user: endpoint.user,
    password: endpoint.password,
    database: endpoint.database,
    connectTimeout: timeouts.connectTimeoutMs,
    multipleStatements: false,
    // mysql2 reserves room for 16,000 prepared statements per connection (~540 KB each); dbfleet
    // prepares none, and a checker holds thousands of connections (measured: ~10 KB each at 16).
    maxPreparedStatements: 16,
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    // Detects peers that vanished (a dead NAT or conntrack entry) on long-idle admin connections.
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
  }) as unknown as DriverConnection;
  // mysql2 emits fatal errors as events when no command is waiting: without a listener they
  // would crash the process. The session learns of them when its next command fails.
  c.on('error', () => undefined);
  return c;
}

function hardDestroy(c: DriverConnection): void {
  try {
    c.stream?.destroy();
    c.destroy();
  } catch {
    // Already gone: nothing left to release.
  }
}

/** Rebuilds deadline/abort errors from core/deadline with this server's details. */
function withContext(err: DbfleetError, ctx: ErrorContext, what: string): DbfleetError {
  const kill = err.details['kill'] === undefined ? {} : { kill: err.details['kill'], thread: err.details['thread'] };
  const note = typeof err.details['killNote'] === 'string' ? err.details['killNote'] : '';
  if (err instanceof TimeoutError && err.details['server'] === undefined) {
    return new TimeoutError(`${what}: no answer within ${ctx.timeoutMs ?? '?'} ms${note}`, {
      details: { server: ctx.server, phase: ctx.phase, ...(ctx.statement ? { statement: ctx.statement } : {}), ...kill },
      next: 'check that the server is up and not hung (load, stopped process, network); the session was closed',
    });
  }
  if (err instanceof AbortedError && err.details['server'] === undefined) {
    return new AbortedError(`${what}: cancelled${note}`, { details: { server: ctx.server, phase: ctx.phase, ...kill } });
  }
  return err;
}

class Mysql2Session implements SqlSession {
  private closedReason: string | undefined;

  constructor(
    private readonly conn: DriverConnection,
    /** For the fresh connection that kills a timed-out statement (killOnTimeout). */
    private readonly endpoint: Endpoint,
    private readonly server: string,
    private readonly secrets: readonly string[],
    private readonly timeouts: Timeouts,
    private readonly logger: Logger,
  ) {
    conn.on('error', (err) => {
      this.closedReason ??= `connection failed: ${translateMysqlError(err, this.context()).message}`;
    });
  }

  get threadId(): number {
    return this.conn.threadId ?? 0;
  }

  async query(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<Row[]> {
    return resultRows(await this.run(sql, params, options));
  }

  async execute(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<{ affectedRows: number; insertId: number }> {
    const result = await this.run(sql, params, options);
    if (result && typeof result === 'object' && !Array.isArray(result)) {
      const header = result as { affectedRows?: unknown; insertId?: unknown };
      return { affectedRows: Number(header.affectedRows ?? 0), insertId: Number(header.insertId ?? 0) };
    }
    return { affectedRows: 0, insertId: 0 };
  }

  async close(): Promise<void> {
    if (this.closedReason !== undefined) {
      hardDestroy(this.conn);
      return;
    }
    this.closedReason = 'closed';
    const wait = Math.min(this.timeouts.queryTimeoutMs, MAX_CLOSE_WAIT_MS);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.conn.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    // Whether or not the server acknowledged COM_QUIT, nothing more is wanted from this socket.
    hardDestroy(this.conn);
  }

  destroy(): void {
    this.closedReason ??= 'destroyed';
    hardDestroy(this.conn);
  }

  private context(options: QueryOptions = {}, sql?: string, timeoutMs?: number): ErrorContext {
    const statementSecrets = options.secrets ?? [];
    let statement: string | undefined;
    if (sql !== undefined) {
      statement = options.redactedSql ?? (statementSecrets.length > 0 ? '[statement withheld: it holds a secret]' : sql);
      if (statement.length > MAX_STATEMENT_IN_ERRORS) statement = `${statement.slice(0, MAX_STATEMENT_IN_ERRORS)}…`;
    }
    return {
      phase: 'query',
      server: this.server,
      secrets: [...this.secrets, ...statementSecrets],
      statement,
      statementHadSecrets: statementSecrets.length > 0,
      timeoutMs,
    };
  }

  /**
   * The hot path (a checker runs thousands of these per second): one timer, no AbortController
   * unless the caller passed a signal, and the error context is built only when something failed.
   * At the deadline the connection is destroyed (a query may be stuck on a hung server) and the
   * query rejects with TimeoutError, whether or not the server ever answers.
   */
  private run(sql: string, params: readonly unknown[], options: QueryOptions): Promise<unknown> {
    if (this.closedReason !== undefined) return Promise.reject(sessionClosedError(this.server, this.closedReason));
    const timeoutMs = options.timeoutMs ?? this.timeouts.queryTimeoutMs;
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(this.failure(new AbortedError('cancelled before it started'), options, sql, timeoutMs));
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      // once given up on, the driver's own answer (the dropped socket's error) no longer counts
      let givenUp = false;
      const settle = (err: unknown, result?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined || err === null) resolve(result);
        else reject(this.failure(err, options, sql, timeoutMs));
      };
      const giveUp = (reason: string, err: DbfleetError): void => {
        if (settled || givenUp) return;
        givenUp = true;
        const thread = this.conn.threadId;
        this.drop(reason);
        if (!options.killOnTimeout || !thread) {
          settle(err);
          return;
        }
        void this.killOnServer(thread).then((kill) => settle(withKill(err, kill)));
      };
      const timer = setTimeout(() => giveUp('query timed out', new TimeoutError(`query on ${this.server}: no answer within ${timeoutMs} ms`)), timeoutMs);
      const onAbort = (): void => giveUp('query cancelled', new AbortedError(`query on ${this.server}: cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.conn.query({ sql, values: params.length > 0 ? [...params] : undefined }, (err, result) => {
        if (!givenUp) settle(err, result);
      });
    });
  }

  /**
   * KILL of the given thread from a fresh connection, bounded by the connect timeout and a short
   * query deadline. The same account may kill its own threads on every engine, Aurora included.
   */
  private async killOnServer(thread: number): Promise<KillOutcome> {
    const timeouts = { connectTimeoutMs: this.timeouts.connectTimeoutMs, queryTimeoutMs: Math.min(this.timeouts.queryTimeoutMs, KILL_QUERY_MS) };
    try {
      const s = await openSession(this.endpoint, timeouts, { logger: this.logger });
      try {
        await s.query('KILL ?', [thread]);
        this.logger.warn({ server: this.server, thread }, 'timed-out statement killed on the server');
        return { kill: 'killed', thread };
      } finally {
        await s.close();
      }
    } catch (e) {
      // 1094 Unknown thread id: the statement and its connection had already ended on the server
      if (isDbfleetError(e) && e.details['errno'] === UNKNOWN_THREAD) return { kill: 'ended', thread };
      this.logger.error({ server: this.server, thread, err: errorMessage(e) }, 'timed-out statement could not be killed on the server');
      return { kill: 'failed', thread, why: errorMessage(e) };
    }
  }

  /** Turns a driver error (or our own timeout/abort) into a typed, scrubbed error with context. */
  private failure(e: unknown, options: QueryOptions, sql: string, timeoutMs: number): DbfleetError {
    const ctx = this.context(options, sql, timeoutMs);
    const err = withContext(translateMysqlError(e, ctx), ctx, `query on ${this.server}`);
    if (err instanceof TimeoutError || err instanceof AbortedError || isFatal(e)) this.drop(`${err.code.toLowerCase()}: ${err.message}`);
    return err;
  }

  private drop(reason: string): void {
    if (this.closedReason === undefined) this.logger.debug({ server: this.server, reason }, 'mysql session destroyed');
    this.closedReason ??= reason;
    hardDestroy(this.conn);
  }
}

/** Whether a timed-out statement was killed on the server (QueryOptions.killOnTimeout). */
interface KillOutcome {
  kill: 'killed' | 'ended' | 'failed';
  thread: number;
  why?: string;
}

const KILL_QUERY_MS = 5_000;
const UNKNOWN_THREAD = 1094;

function killNote(k: KillOutcome): string {
  if (k.kill === 'killed') return `; the statement was killed on the server (KILL ${k.thread})`;
  if (k.kill === 'ended') return `; it had already ended on the server (thread ${k.thread} gone): its effect may be there`;
  return `; it could not be killed on the server (thread ${k.thread}: ${k.why ?? '?'}): it may still take effect`;
}

function withKill(err: DbfleetError, k: KillOutcome): DbfleetError {
  const details = { ...err.details, kill: k.kill, thread: k.thread, killNote: killNote(k) };
  const options = { details, ...(err.next !== undefined ? { next: err.next } : {}) };
  return err instanceof TimeoutError ? new TimeoutError(err.message, options) : new AbortedError(err.message, options);
}

function isFatal(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { fatal?: unknown }).fatal === true;
}

/** A SELECT/SHOW gives rows; CALL gives [rows..., header]; other statements a header only. */
function resultRows(result: unknown): Row[] {
  if (!Array.isArray(result)) return [];
  if (result.length > 0 && Array.isArray(result[0])) return result[0] as Row[];
  return result.filter((r): r is Row => typeof r === 'object' && r !== null && !Array.isArray(r));
}
