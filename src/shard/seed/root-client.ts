import { BugError, RemoteError } from '../../core/errors.js';
import type { Host } from '../../host/host.js';
import type { Row } from '../../mysql/admin.js';
import type { Dialect } from '../../mysql/dialect.js';
import { dialectFor } from '../../mysql/pick-dialect.js';
import { asGtidSet } from '../../mysql/row-values.js';
import { parseServerVersion, VERSION_QUERY, versionVariablesFromRows } from '../../mysql/server-version.js';
import type { Statement } from '../../mysql/statement.js';
import { rootClientArgs } from '../mysqld/mysqld-manager.js';

/**
 * SQL as root over a new process's unix socket on its host (local or over SSH), with the engine's
 * own command-line client: the way in before the copy has any account but root. Statements go on
 * stdin (they may carry secrets); results come back as batch-mode rows with a header line.
 */
export class RootClient {
  private dialectCache: Dialect | undefined;

  constructor(
    private readonly host: Host,
    /** The engine's client (engineBinaries(engine).client). */
    private readonly client: string,
    readonly socket: string,
  ) {}

  /** Runs SQL text; throws naming only the server's error number and message (never the statement, which may hold a secret). */
  async exec(sql: string, options: { timeoutMs?: number; secrets?: readonly string[] } = {}): Promise<string> {
    const r = await this.host.run(this.client, [...rootClientArgs(this.socket), '-B'], { timeoutMs: options.timeoutMs ?? 60_000, input: sql.endsWith('\n') ? sql : `${sql}\n` });
    if (r.exitCode !== 0) throw new RootSqlError(this.socket, scrub(r.stderr, options.secrets ?? []), r.exitCode);
    return r.stdout;
  }

  /** The rows of one statement of the dialect (a statement with `?` placeholders is a bug here: text only). */
  async query(s: Statement | string, timeoutMs?: number): Promise<Row[]> {
    const st = typeof s === 'string' ? { sql: s, params: [], secrets: [] } : s;
    if (st.params.length > 0) throw new BugError(`RootClient runs statements without placeholders only: ${st.sql}`);
    return parseBatch(await this.exec(`${st.sql};`, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), secrets: st.secrets }));
  }

  async run(statements: readonly Statement[], timeoutMs?: number): Promise<void> {
    for (const s of statements) await this.query(s, timeoutMs);
  }

  /** The server's dialect, from its version (read once). */
  async dialect(): Promise<Dialect> {
    this.dialectCache ??= dialectFor(parseServerVersion(versionVariablesFromRows(await this.query(VERSION_QUERY))));
    return this.dialectCache;
  }

  async gtid(s: Statement): Promise<string> {
    return asGtidSet((await this.query(s))[0]?.['gtid']);
  }

  /** User databases (outside mysql, information_schema, performance_schema, sys). */
  async userDatabases(): Promise<string[]> {
    return (await this.query('SHOW DATABASES')).map((r) => String(Object.values(r)[0] ?? '')).filter((d) => d !== '' && !SYSTEM_DATABASES.has(d));
  }
}

export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** Thrown when SQL as root over a socket fails; the message holds the server's error, never the statement. */
export class RootSqlError extends RemoteError {
  constructor(
    socket: string,
    readonly serverError: string,
    exitCode: number,
  ) {
    super('ROOT_SQL_FAILED', `SQL as root over ${socket} failed (client exit ${exitCode}): ${serverError || '(no message)'}`);
  }

  /** The server's error number (e.g. 3707), when the client printed one. */
  get errno(): number | undefined {
    const m = /ERROR (\d+)/.exec(this.serverError);
    return m ? Number(m[1]) : undefined;
  }
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text.trim().split('\n').filter((l) => !/^mysql: \[Warning\]/.test(l)).slice(-3).join(' | ');
  for (const s of secrets) if (s !== '') out = out.split(s).join('***');
  return out;
}

/** Batch-mode output: a header line, tab-separated values, \t \n \\ \0 escaped, NULL for null. */
export function parseBatch(out: string): Row[] {
  const lines = out.split('\n').filter((l) => l !== '');
  const [header, ...rest] = lines;
  if (header === undefined) return [];
  const names = header.split('\t');
  return rest.map((line) => {
    const values = line.split('\t');
    return Object.fromEntries(names.map((n, i) => [n, unescape(values[i] ?? '')]));
  });
}

function unescape(v: string): string | null {
  if (v === 'NULL') return null;
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === '0' ? '\0' : c));
}
