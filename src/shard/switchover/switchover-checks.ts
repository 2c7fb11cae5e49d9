import type { ReplicaStatus } from '../../mysql/admin.js';

/** What the precheck read from the servers. Plain data, so the refusal rules are pure. */
export interface SwitchoverFacts {
  /** gtidBinlogState: @@gtid_binlog_state, the last GTID of every (domain, server) ever logged. */
  master: { id: string; host: string; port: number; readOnly: boolean; gtidBinlogState: string };
  candidate: { id: string; replica: ReplicaStatus | null; gtidBinlogState: string; serverId: number };
  /** Application users that can write through read_only (SUPER or READ_ONLY ADMIN). */
  readOnlyBypass?: string[];
  /** Transactions open on the master longer than the limit: [id, seconds]. */
  longTransactions: { id: number; seconds: number }[];
  maxLagSeconds: number;
}

export interface Refusal {
  code: 'CANDIDATE_NOT_REPLICA' | 'REPLICATION_BROKEN' | 'CANDIDATE_LAGS' | 'ERRANT_TRANSACTIONS' | 'LONG_TRANSACTION' | 'MASTER_READ_ONLY' | 'READ_ONLY_BYPASS';
  message: string;
}

/** Parses a MariaDB GTID list ("0-101-57,1-5-9") into domain -> { server, seq }. */
export function parseGtidList(list: string): Map<number, { server: number; seq: number }> {
  const out = new Map<number, { server: number; seq: number }>();
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!m) throw new Error(`not a MariaDB GTID: ${part}`);
    out.set(Number(m[1]), { server: Number(m[2]), seq: Number(m[3]) });
  }
  return out;
}

/** Parses a MariaDB GTID state ("0-101-57,0-5-9,1-5-3"): every (domain, server) with its last seq. */
export function parseGtidState(list: string): { domain: number; server: number; seq: number }[] {
  return list
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
      if (!m) throw new Error(`not a MariaDB GTID: ${part}`);
      return { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
    });
}

/**
 * Transactions the candidate has that the master never had, from both servers' binlog states
 * (the last GTID per domain AND server): any (domain, server) the master lacks, or has at a lower
 * seq. The binlog position alone shows one GTID per domain, so a write of the candidate's own
 * followed by replicated ones would hide behind it. Promoting such a candidate would fork
 * history (MHA and Orchestrator refuse it too).
 */
export function errantTransactions(masterState: string, candidateState: string): string[] {
  const master = parseGtidState(masterState);
  return parseGtidState(candidateState)
    .filter((c) => !master.some((m) => m.domain === c.domain && m.server === c.server && m.seq >= c.seq))
    .map((c) => `${c.domain}-${c.server}-${c.seq}`);
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
  const errant = errantTransactions(f.master.gtidBinlogState, f.candidate.gtidBinlogState);
  if (errant.length > 0) out.push({ code: 'ERRANT_TRANSACTIONS', message: `${f.candidate.id} has transactions the master does not: ${errant.join(', ')}` });
  if ((f.readOnlyBypass ?? []).length > 0) {
    out.push({ code: 'READ_ONLY_BYPASS', message: `application user${f.readOnlyBypass!.length === 1 ? '' : 's'} ${f.readOnlyBypass!.join(', ')} can write through read_only (SUPER or READ_ONLY ADMIN): blocking writes would not stop them` });
  }
  for (const t of f.longTransactions) out.push({ code: 'LONG_TRANSACTION', message: `transaction ${t.id} has been open on ${f.master.id} for ${t.seconds} s; blocking writes would wait for it` });
  return out;
}
