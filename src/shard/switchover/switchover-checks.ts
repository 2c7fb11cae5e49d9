import type { ReplicaStatus } from '../../mysql/admin.js';

/** What the precheck read from the servers. Plain data, so the refusal rules are pure. */
export interface SwitchoverFacts {
  /** gtidState: the dialect's gtidStateQuery (MySQL @@gtid_executed; MariaDB @@gtid_binlog_state, every (domain, server) ever logged). */
  master: { id: string; host: string; port: number; readOnly: boolean; gtidState: string };
  candidate: { id: string; replica: ReplicaStatus | null; gtidState: string; serverId: number };
  /**
   * Transactions the candidate has that the master never had (the dialect's errantGtids over both
   * states). Promoting such a candidate would fork history: MHA and Orchestrator refuse it too.
   */
  errantGtids: string[];
  /** Application users that can write through read_only (MariaDB: SUPER or READ_ONLY ADMIN; none on MySQL, whose super_read_only stops them). */
  readOnlyBypass?: string[];
  /** Transactions open on the master longer than the limit: [id, seconds]. */
  longTransactions: { id: number; seconds: number }[];
  /**
   * Statements running on the master at least the statement limit (processlist Query / Execute,
   * replication threads excluded), with their text: the rules decide which would hold up read_only.
   */
  runningStatements?: { id: number; user: string; seconds: number; text: string | null }[];
  maxLagSeconds: number;
}

export interface Refusal {
  code: 'CANDIDATE_NOT_REPLICA' | 'REPLICATION_BROKEN' | 'CANDIDATE_LAGS' | 'ERRANT_TRANSACTIONS' | 'LONG_TRANSACTION' | 'LONG_STATEMENT' | 'MASTER_READ_ONLY' | 'READ_ONLY_BYPASS';
  message: string;
}

/** Every reason to refuse the switchover, before anything is changed. Pure. */
export function refusals(f: SwitchoverFacts): Refusal[] {
  const out: Refusal[] = [];
  const r = f.candidate.replica;
  if (f.master.readOnly) out.push({ code: 'MASTER_READ_ONLY', message: `${f.master.id} is read-only: it is not the master (or a switchover is half done)` });
  if (!r || r.sourceHost !== f.master.host || r.sourcePort !== f.master.port) {
    out.push({ code: 'CANDIDATE_NOT_REPLICA', message: `${f.candidate.id} does not replicate from ${f.master.id} (${r ? `source ${r.sourceHost}:${r.sourcePort}` : 'no replication configured'})` });
    return out;
  }
  if (r.ioRunning !== 'yes' || !r.sqlRunning) {
    out.push({ code: 'REPLICATION_BROKEN', message: `${f.candidate.id} replication is not healthy: io=${r.ioRunning} sql=${r.sqlRunning}${r.lastIoError || r.lastSqlError ? `: ${r.lastIoError || r.lastSqlError}` : ''}` });
  }
  if (r.secondsBehind === null || r.secondsBehind > f.maxLagSeconds) {
    out.push({ code: 'CANDIDATE_LAGS', message: `${f.candidate.id} is ${r.secondsBehind ?? 'an unknown number of'} s behind (limit ${f.maxLagSeconds} s)` });
  }
  if (f.errantGtids.length > 0) out.push({ code: 'ERRANT_TRANSACTIONS', message: `${f.candidate.id} has transactions the master does not: ${f.errantGtids.join(', ')}` });
  if ((f.readOnlyBypass ?? []).length > 0) {
    out.push({ code: 'READ_ONLY_BYPASS', message: `application user${f.readOnlyBypass!.length === 1 ? '' : 's'} ${f.readOnlyBypass!.join(', ')} can write through read_only (SUPER or READ_ONLY ADMIN): blocking writes would not stop them` });
  }
  for (const st of f.runningStatements ?? []) {
    if (!holdsUpReadOnly(st.text)) continue;
    out.push({ code: 'LONG_STATEMENT', message: `thread ${st.id} (${st.user}) has been running ${statementVerb(st.text)} on ${f.master.id} for ${st.seconds} s; read_only waits for it, and every write queues behind read_only meanwhile (the switchover would back out at its lock wait bound)` });
  }
  for (const t of f.longTransactions) out.push({ code: 'LONG_TRANSACTION', message: `transaction ${t.id} has been open on ${f.master.id} for ${t.seconds} s; blocking writes would wait for it` });
  return out;
}

/**
 * Whether a running statement makes SET GLOBAL read_only = 1 wait (measured on MariaDB 10.11 and
 * MySQL 9.7): every write, DDL (also one still waiting for its metadata lock) and SELECT ... FOR
 * UPDATE holds the global read lock's intention lock; a plain SELECT, LOCK IN SHARE MODE / FOR
 * SHARE and SHOW do not. Unknown text (NULL, a CALL, a WITH that may write) counts as holding it. Pure.
 */
export function holdsUpReadOnly(text: string | null): boolean {
  if (text === null) return true;
  const sql = stripLeadingComments(text);
  if (/^\(*\s*SELECT\b/i.test(sql)) return /\bFOR\s+UPDATE\b/i.test(sql);
  return !/^(SHOW|EXPLAIN|DESCRIBE|DESC|DO\s+SLEEP)\b/i.test(sql);
}

/** The statement's first keyword, for messages: never its text, which may hold a password. Pure. */
export function statementVerb(text: string | null): string {
  const m = /^([A-Za-z]+)/.exec(stripLeadingComments(text ?? ''));
  if (!m) return 'a statement';
  const verb = m[1]!.toUpperCase();
  return `${/^[AEIOU]/.test(verb) ? 'an' : 'a'} ${verb}`;
}

function stripLeadingComments(sql: string): string {
  let s = sql.trimStart();
  for (;;) {
    if (s.startsWith('/*')) {
      const end = s.indexOf('*/');
      if (end < 0) return '';
      s = s.slice(end + 2).trimStart();
    } else if (s.startsWith('--') || s.startsWith('#')) {
      const end = s.indexOf('\n');
      if (end < 0) return '';
      s = s.slice(end + 1).trimStart();
    } else return s;
  }
}
