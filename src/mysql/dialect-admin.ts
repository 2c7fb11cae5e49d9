import { isDbfleetError, TimeoutError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type {
  BinlogPosition,
  ChangeSource,
  ChangeSourceByGtid,
  Endpoint,
  MysqlAdmin,
  QueryOptions,
  ReplicaStatus,
  Role,
  Row,
  ServerVersion,
  SqlSession,
  Timeouts,
  WriteFence,
} from './admin.js';
import type { BinlogStatusRow, Dialect, WaitPlan } from './dialect.js';
import { MysqlErrorCode, mysqlRemoteError } from './mysql-errors.js';
import { describeServer } from './server-name.js';
import { asGtidSet, asSwitch } from './row-values.js';
import type { Statement } from './statement.js';

/**
 * MysqlAdmin over any SqlSession: runs what the dialect builds and reads results with the
 * dialect's parsers. Mutations are logged with their redacted statement; read-only state changes
 * are verified by reading the variable back.
 */

/** How often binlogPosition re-reads when a commit lands between its reads (MariaDB, see below). */
const BINLOG_READ_ATTEMPTS = 5;

/**
 * The errors with which a server refuses performance_schema.log_status for good: 1227 (needs
 * BACKUP_ADMIN), 1142 (table access denied), 1146 (no such table: a fork or an old version).
 */
const LOG_STATUS_REFUSALS = new Set([1227, 1142, 1146]);

export class DialectAdmin implements MysqlAdmin {
  readonly endpoint: Omit<Endpoint, 'password'>;
  readonly version: ServerVersion;
  private readonly log: Logger;
  private readonly server: string;
  /** Set once the server refused the consistent position read: not asked again on this session. */
  private consistentPositionRefused = false;

  constructor(
    endpoint: Endpoint,
    readonly session: SqlSession,
    readonly dialect: Dialect,
    private readonly timeouts: Timeouts,
    logger: Logger = silentLogger,
  ) {
    this.endpoint = withoutPassword(endpoint);
    this.version = dialect.version;
    this.server = describeServer(endpoint);
    this.log = logger.child({ server: this.server, dialect: dialect.name });
  }

  async role(options?: QueryOptions): Promise<Role> {
    return this.dialect.parseRole(await this.run(this.dialect.roleQuery(), options));
  }

  async replicaStatus(options?: QueryOptions): Promise<ReplicaStatus | null> {
    return this.dialect.parseReplicaStatus(await this.run(this.dialect.replicaStatusQuery(), options));
  }

  async startReplica(options?: QueryOptions): Promise<void> {
    await this.mutate('start replica', this.dialect.startReplica(), options);
  }

  async stopReplica(options?: QueryOptions): Promise<void> {
    await this.mutate('stop replica', this.dialect.stopReplica(), options);
  }

  async resetReplicaAll(options?: QueryOptions): Promise<void> {
    await this.mutate('reset replica all', this.dialect.resetReplicaAll(), options);
  }

  async changeSource(source: ChangeSource, options?: QueryOptions): Promise<void> {
    await this.mutate(`change source to ${source.host}:${source.port} by ${source.kind}`, this.dialect.changeSource(source), options);
  }

  async changeSourceFromOwnBinlog(source: Omit<ChangeSourceByGtid, 'kind' | 'startGtid'>, options?: QueryOptions): Promise<void> {
    const startGtid = this.dialect.gtidStartFromOwnBinlog ? await this.gtidPosition(options) : undefined;
    await this.changeSource({ kind: 'gtid', ...source, ...(startGtid !== undefined ? { startGtid } : {}) }, options);
  }

  async appliedGtid(options?: QueryOptions): Promise<string> {
    return asGtidSet((await this.run(this.dialect.appliedGtidQuery(), options))[0]?.['gtid']);
  }

  /**
   * The three values must describe one moment, or a consumer waits for a GTID set that lacks
   * transactions before the offset (or the reverse). MySQL 8.0.14+: performance_schema.log_status,
   * one consistent read (it needs BACKUP_ADMIN; without it, or before 8.0.14, the status row is
   * read until two reads agree: its Executed_Gtid_Set is read before its offset, so a busy source
   * pairs them wrongly). MariaDB's status row has no GTID: BINLOG_GTID_POS gives the GTID of
   * exactly the offset read; where that answers NULL, the GTID is read before and after, and the
   * read retried until they agree.
   */
  async binlogPosition(options?: QueryOptions): Promise<BinlogPosition> {
    const consistent = await this.consistentPosition(options);
    if (consistent) return consistent;
    for (let attempt = 1; attempt <= BINLOG_READ_ATTEMPTS; attempt++) {
      // MariaDB's row has no GTID: read it before (and after) where BINLOG_GTID_POS cannot pair it
      const before = this.dialect.gtidAtPositionQuery ? await this.gtidPosition(options) : undefined;
      const status = await this.binlogStatus(options);
      if (status.gtidSet !== undefined) {
        // Best effort (MySQL without log_status): two equal reads show nothing committed between
        // them, but a transaction written to the binlog and still in its sync stage for the whole
        // interval would be past the offset and not yet in the set. Exact while the source is
        // not committing (a frozen or read-only source, which is when dbfleet pairs the two).
        const again = await this.binlogStatus(options);
        if (again.file === status.file && again.position === status.position && again.gtidSet === status.gtidSet) {
          return { file: status.file, position: status.position, gtidSet: status.gtidSet };
        }
        continue;
      }
      const exact = this.dialect.gtidAtPositionQuery?.(status.file, status.position);
      if (exact) {
        // the GTID of exactly that offset: commits since the status read do not matter
        const g = (await this.run(exact, options))[0]?.['gtid'];
        if (g !== null && g !== undefined) return { file: status.file, position: status.position, gtidSet: String(g).replace(/\s+/g, '') };
      }
      const after = await this.gtidPosition(options);
      if (before === after) return { file: status.file, position: status.position, gtidSet: after };
    }
    throw mysqlRemoteError(MysqlErrorCode.unexpectedResult, `${this.server}: binlog position kept moving during ${BINLOG_READ_ATTEMPTS} reads`, {
      retryable: true,
      next: 'retry when the write rate is lower, or stop writes first (a switchover does); on MySQL 8.0.14+ grant BACKUP_ADMIN for a consistent read',
    });
  }

  /** The dialect's consistent read, or undefined where there is none or the server refuses it. */
  private async consistentPosition(options?: QueryOptions): Promise<BinlogPosition | undefined> {
    const plan = this.dialect.consistentPosition();
    if (!plan || this.consistentPositionRefused) return undefined;
    let rows: Row[];
    try {
      rows = await this.run(plan.statement, options);
    } catch (e) {
      // a refusal by the server (no BACKUP_ADMIN, no such table on a fork): use the status row
      // from now on; a timeout, a killed query or a lost connection is an answer for the caller
      if (!isDbfleetError(e) || !LOG_STATUS_REFUSALS.has(Number(e.details['errno']))) throw e;
      this.consistentPositionRefused = true;
      this.log.warn({ err: e.message }, 'performance_schema.log_status is not readable (grant BACKUP_ADMIN); reading SHOW BINARY LOG STATUS until two reads agree');
      return undefined;
    }
    const pos = plan.parse(rows);
    if (!pos) throw this.binlogDisabled();
    return pos;
  }

  private async binlogStatus(options?: QueryOptions): Promise<BinlogStatusRow> {
    const status = this.dialect.parseBinlogStatus(await this.run(this.dialect.binlogStatusQuery(), options));
    if (!status) throw this.binlogDisabled();
    return status;
  }

  private binlogDisabled(): Error {
    return mysqlRemoteError(MysqlErrorCode.binlogDisabled, `${this.server} has no binary log position (binary logging is off)`, {
      next: 'enable log_bin on this server; a source needs it',
      details: { server: this.server },
    });
  }

  async waitForPosition(pos: { file: string; position: number }, timeoutMs: number, options?: QueryOptions): Promise<void> {
    await this.wait(`binlog position ${pos.file}:${pos.position}`, this.dialect.waitForPosition(pos, timeoutMs), timeoutMs, options);
  }

  async waitForGtid(gtidSet: string, timeoutMs: number, options?: QueryOptions): Promise<void> {
    await this.wait(`GTID set ${gtidSet}`, this.dialect.waitForGtid(gtidSet, timeoutMs), timeoutMs, options);
  }

  async setReadOnly(readOnly: boolean, options?: QueryOptions): Promise<void> {
    // read_only=1 waits for the global read lock behind running writes: given up on, it is killed
    // on the server, never left to take effect after the caller's undo
    await this.mutate(`set read_only=${readOnly ? 1 : 0}`, this.dialect.setReadOnly(readOnly), { ...options, killOnTimeout: true });
    const rows = await this.run(this.dialect.readOnlyQuery(), options);
    const actual = asSwitch(rows[0]?.['ro'], 'read_only');
    if (actual !== readOnly) {
      throw mysqlRemoteError(MysqlErrorCode.verifyFailed, `${this.server}: read_only is ${actual ? 1 : 0} after setting it to ${readOnly ? 1 : 0}`, {
        next: 'check for another process changing read_only (an HA tool?) before retrying',
        details: { server: this.server },
      });
    }
  }

  async writeFence(options?: QueryOptions): Promise<WriteFence> {
    const row = (await this.run(this.dialect.writeFenceQuery(), options))[0];
    return { gtidSet: asGtidSet(row?.['gtid']), fullyReadOnly: asSwitch(row?.['ro'], 'full read-only') };
  }

  async close(): Promise<void> {
    await this.session.close();
  }

  private async gtidPosition(options?: QueryOptions): Promise<string> {
    const rows = await this.run(this.dialect.gtidPositionQuery(), options);
    return asGtidSet(rows[0]?.['gtid']);
  }

  private async wait(what: string, plan: WaitPlan, timeoutMs: number, options: QueryOptions = {}): Promise<void> {
    // The query must outlive the server-side wait by a round trip, else the session times out
    // first and is destroyed instead of reading the wait's own "timed out" answer.
    const roundTrip = options.timeoutMs ?? this.timeouts.queryTimeoutMs;
    const started = performance.now();
    const rows = await this.run(plan.statement, { ...options, timeoutMs: plan.serverWaitMs + roundTrip });
    const outcome = plan.interpret(rows);
    switch (outcome) {
      case 'reached':
        return;
      case 'timeout':
        throw new TimeoutError(`${this.server}: replica did not reach ${what} within ${timeoutMs} ms`, {
          details: { server: this.server, waitedMs: Math.round(performance.now() - started) },
          next: 'check replica lag (replicaStatus) and retry with a longer timeout',
        });
      case 'not-replicating':
        throw mysqlRemoteError(MysqlErrorCode.replicationNotRunning, `${this.server}: cannot wait for ${what}: replication is not running on this server`, {
          details: { server: this.server },
          next: 'configure and start replication (changeSource, startReplica), then wait again',
        });
    }
  }

  private async mutate(what: string, statements: readonly Statement[], options?: QueryOptions): Promise<void> {
    const started = performance.now();
    this.log.info({ op: what, statements: statements.map((s) => s.redacted) }, 'mysql admin: start');
    try {
      for (const s of statements) await this.run(s, options);
    } catch (e) {
      this.log.warn({ op: what, ms: Math.round(performance.now() - started), error: e instanceof Error ? e.message : String(e) }, 'mysql admin: failed');
      throw e;
    }
    this.log.info({ op: what, ms: Math.round(performance.now() - started) }, 'mysql admin: done');
  }

  private run(s: Statement, options: QueryOptions = {}): Promise<Row[]> {
    return this.session.query(s.sql, s.params, {
      ...options,
      secrets: [...(options.secrets ?? []), ...s.secrets],
      redactedSql: s.redacted,
    });
  }
}

function withoutPassword(endpoint: Endpoint): Omit<Endpoint, 'password'> {
  const { password: _password, ...rest } = endpoint;
  return Object.freeze(rest);
}
