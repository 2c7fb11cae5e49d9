import type { ReplicaStatus } from '../../mysql/admin.js';

/** What the precheck read from the servers. Plain data, so the refusal rules are pure. */
export interface SwitchoverFacts {
  master: { id: string; host: string; port: number; readOnly: boolean; gtidBinlogPos: string };
  candidate: { id: string; replica: ReplicaStatus | null; gtidBinlogPos: string; serverId: number };
  /** Transactions open on the master longer than the limit: [id, seconds]. */
  longTransactions: { id: number; seconds: number }[];
  maxLagSeconds: number;
}

export interface Refusal {
  code: 'CANDIDATE_NOT_REPLICA' | 'REPLICATION_BROKEN' | 'CANDIDATE_LAGS' | 'ERRANT_TRANSACTIONS' | 'LONG_TRANSACTION' | 'MASTER_READ_ONLY';
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

/**
 * Transactions the candidate wrote itself that the master never had: a domain where the
 * candidate's last GTID comes from the candidate's own server_id, or is ahead of the master's.
 * Promoting such a candidate would fork history (MHA and Orchestrator refuse it too).
 */
export function errantTransactions(masterPos: string, candidatePos: string, candidateServerId: number): string[] {
  const master = parseGtidList(masterPos);
  const out: string[] = [];
  for (const [domain, c] of parseGtidList(candidatePos)) {
    const m = master.get(domain);
    if (c.server === candidateServerId && (!m || m.seq < c.seq || m.server !== c.server)) out.push(`${domain}-${c.server}-${c.seq}`);
    else if (!m || c.seq > m.seq) out.push(`${domain}-${c.server}-${c.seq}`);
  }
  return out;
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
  const errant = errantTransactions(f.master.gtidBinlogPos, f.candidate.gtidBinlogPos, f.candidate.serverId);
  if (errant.length > 0) out.push({ code: 'ERRANT_TRANSACTIONS', message: `${f.candidate.id} has transactions the master does not: ${errant.join(', ')}` });
  for (const t of f.longTransactions) out.push({ code: 'LONG_TRANSACTION', message: `transaction ${t.id} has been open on ${f.master.id} for ${t.seconds} s; blocking writes would wait for it` });
  return out;
}
