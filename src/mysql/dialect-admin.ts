import { TimeoutError } from '../core/errors.js';
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
} from './admin.js';
import type { Dialect, WaitPlan } from './dialect.js';
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

export class DialectAdmin implements MysqlAdmin {
  readonly endpoint: Omit<Endpoint, 'password'>;
  readonly version: ServerVersion;
  private readonly log: Logger;
  private readonly server: string;

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
   * MySQL's status row carries Executed_Gtid_Set, read atomically with the coordinates. MariaDB's
   * does not: BINLOG_GTID_POS gives the GTID of exactly the offset read. Where that answers NULL,
   * a commit between reading @@gtid_binlog_pos and SHOW MASTER STATUS would pair a GTID with the
   * wrong position: read the GTID before and after, and retry until they agree.
   */
  async binlogPosition(options?: QueryOptions): Promise<BinlogPosition> {
    for (let attempt = 1; attempt <= BINLOG_READ_ATTEMPTS; attempt++) {
      const before = await this.gtidPosition(options);
      const status = this.dialect.parseBinlogStatus(await this.run(this.dialect.binlogStatusQuery(), options));
      if (!status) {
        throw mysqlRemoteError(MysqlErrorCode.binlogDisabled, `${this.server} has no binary log position (binary logging is off)`, {
          next: 'enable log_bin on this server; a source needs it',
          details: { server: this.server },
        });
      }
      if (status.gtidSet !== undefined) return { file: status.file, position: status.position, gtidSet: status.gtidSet };
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
      next: 'retry when the write rate is lower, or stop writes first (a switchover does)',
    });
  }

  async waitForPosition(pos: { file: string; position: number }, timeoutMs: number, options?: QueryOptions): Promise<void> {
    await this.wait(`binlog position ${pos.file}:${pos.position}`, this.dialect.waitForPosition(pos, timeoutMs), timeoutMs, options);
  }

  async waitForGtid(gtidSet: string, timeoutMs: number, options?: QueryOptions): Promise<void> {
    await this.wait(`GTID set ${gtidSet}`, this.dialect.waitForGtid(gtidSet, timeoutMs), timeoutMs, options);
  }

  async setReadOnly(readOnly: boolean, options?: QueryOptions): Promise<void> {
    await this.mutate(`set read_only=${readOnly ? 1 : 0}`, this.dialect.setReadOnly(readOnly), options);
    const rows = await this.run(this.dialect.readOnlyQuery(), options);
    const actual = asSwitch(rows[0]?.['ro'], 'read_only');
    if (actual !== readOnly) {
      throw mysqlRemoteError(MysqlErrorCode.verifyFailed, `${this.server}: read_only is ${actual ? 1 : 0} after setting it to ${readOnly ? 1 : 0}`, {
        next: 'check for another process changing read_only (an HA tool?) before retrying',
        details: { server: this.server },
      });
    }
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
