import type { ReplicaStatus, Role } from '../mysql/admin.js';
import { FROZEN_SUFFIX } from './write-user-rename.js';

/**
 * Preflight as a pure evaluation: the gatherer (preflight-gather.ts) reads facts from the servers
 * and MyDNS without changing anything; this turns them into named pass/fail checks, each with its
 * evidence. Table-tested without a server.
 */
export type Fact<T> = { ok: true; value: T } | { ok: false; error: string };

export interface UserFacts {
  user: string;
  host: string;
  source: Fact<{ grants: string[]; secretDigest: string } | undefined>;
  target: Fact<{ grants: string[]; secretDigest: string } | undefined>;
  frozenOnSource: Fact<boolean>;
  frozenOnTarget: Fact<boolean>;
}

export interface PreflightFacts {
  source: { id: string; address: string; role: Fact<Role>; longTransactions: Fact<{ id: number; user: string; seconds: number }[]>; ddl: Fact<{ id: number; user: string; seconds: number; statement: string }[]> };
  target: { id: string; address: string; role: Fact<Role>; replica: Fact<ReplicaStatus | null>; binlog: Fact<{ logBin: boolean; format: string }> };
  users: UserFacts[];
  dns: {
    writerName: string;
    readerName: string;
    writer: Fact<{ address: string; weight: number }[]>;
    reader: Fact<{ address: string; weight: number }[]>;
    /** PowerDNS's answer for the writer name; undefined when no dns.server is configured. */
    served: Fact<string[]> | undefined;
  };
  replicationLogin: { target: Fact<true>; source: Fact<true> };
  limits: { maxLagS: number; longTransactionS: number };
}

export interface CheckResult {
  check: string;
  ok: boolean;
  evidence: string;
}

function check<T>(name: string, fact: Fact<T>, judge: (v: T) => { ok: boolean; evidence: string }): CheckResult {
  if (!fact.ok) return { check: name, ok: false, evidence: fact.error };
  return { check: name, ...judge(fact.value) };
}

const entries = (es: { address: string; weight: number }[]): string => es.map((e) => `${e.address}/${e.weight}`).join(', ') || '(none)';

export function evaluatePreflight(f: PreflightFacts): CheckResult[] {
  const out: CheckResult[] = [];
  const src = f.source;
  const tgt = f.target;
  out.push(check('source is the writer', src.role, (r) => ({ ok: r === 'writer', evidence: `${src.id} (${src.address}) role ${r}` })));
  out.push(check('target is writable', tgt.role, (r) => ({ ok: r === 'writer', evidence: `${tgt.id} (${tgt.address}) role ${r}` })));
  out.push(
    check('target replicates from the source', tgt.replica, (s) => {
      if (!s) return { ok: false, evidence: `${tgt.id} has no replication configured` };
      const fromSource = s.sourceHost === src.address.split(':')[0] && `${s.sourceHost}:${s.sourcePort}` === src.address;
      const ok = fromSource && s.ioRunning === 'yes' && s.sqlRunning;
      const err = s.lastIoError || s.lastSqlError;
      return { ok, evidence: `source ${s.sourceHost}:${s.sourcePort}${fromSource ? '' : ` (expected ${src.address})`}, io=${s.ioRunning} sql=${s.sqlRunning ? 'yes' : 'no'}${err ? `, last error: ${err}` : ''}` };
    }),
  );
  out.push(
    check('target has no replication lag', tgt.replica, (s) => {
      const lag = s?.secondsBehind ?? null;
      return { ok: lag !== null && lag <= f.limits.maxLagS, evidence: `Seconds_Behind_Master ${lag === null ? 'NULL' : lag} (limit ${f.limits.maxLagS} s)` };
    }),
  );
  out.push(
    check('target writes a ROW binlog (replication can be reversed)', tgt.binlog, (b) => ({
      ok: b.logBin && b.format.toUpperCase() === 'ROW',
      evidence: `log_bin=${b.logBin ? 'ON' : 'OFF'}, binlog_format=${b.format}`,
    })),
  );
  for (const u of f.users) {
    const name = `'${u.user}'@'${u.host}'`;
    if (!u.source.ok || !u.target.ok) {
      out.push({ check: `write user ${name} is the same on both sides`, ok: false, evidence: [u.source, u.target].map((x) => (x.ok ? '' : x.error)).filter(Boolean).join('; ') });
    } else {
      const a = u.source.value;
      const b = u.target.value;
      const missing = [!a && 'source', !b && 'target'].filter(Boolean);
      if (!a || !b) out.push({ check: `write user ${name} is the same on both sides`, ok: false, evidence: `missing on the ${missing.join(' and ')}` });
      else {
        const same = a.grants.join('\n') === b.grants.join('\n');
        const samePassword = a.secretDigest === b.secretDigest;
        out.push({
          check: `write user ${name} is the same on both sides`,
          ok: same && samePassword,
          evidence: same ? `grants: ${a.grants.join(' | ')}${samePassword ? '; password hashes match' : '; PASSWORD HASHES DIFFER'}` : `source: ${a.grants.join(' | ')} / target: ${b.grants.join(' | ')}`,
        });
      }
    }
    for (const [side, fact] of [['source', u.frozenOnSource], ['target', u.frozenOnTarget]] as const) {
      out.push(check(`no ${u.user}${FROZEN_SUFFIX} account on the ${side}`, fact, (exists) => ({ ok: !exists, evidence: exists ? `'${u.user}${FROZEN_SUFFIX}'@'${u.host}' exists (a cutover left half done? see migrate rollback)` : 'absent' })));
    }
  }
  out.push(
    check(`writer record ${f.dns.writerName} names the source`, f.dns.writer, (es) => ({
      ok: es.length === 1 && es[0]?.address === src.address.split(':')[0],
      evidence: `${f.dns.writerName}: ${entries(es)}`,
    })),
  );
  out.push(check(`replica record ${f.dns.readerName} exists`, f.dns.reader, (es) => ({ ok: es.some((e) => e.weight > 0), evidence: `${f.dns.readerName}: ${entries(es)}` })));
  if (f.dns.served) {
    out.push(check(`${f.dns.writerName} is served by DNS`, f.dns.served, (as) => ({ ok: as.length === 1 && as[0] === src.address.split(':')[0], evidence: `answer: ${as.join(', ') || '(none)'}` })));
  } else {
    out.push({ check: `${f.dns.writerName} is served by DNS`, ok: true, evidence: 'not checked: no dns.server in the config (clients read the MyDNS tables)' });
  }
  out.push(check('the replication user can log in to the target (reverse direction)', f.replicationLogin.target, () => ({ ok: true, evidence: `logged in to ${tgt.address}` })));
  out.push(check('the replication user can log in to the source (rollback)', f.replicationLogin.source, () => ({ ok: true, evidence: `logged in to ${src.address}` })));
  out.push(
    check('no long transaction on the source', src.longTransactions, (ts) => {
      const long = ts.filter((t) => t.seconds >= f.limits.longTransactionS);
      return { ok: long.length === 0, evidence: long.length ? long.map((t) => `thread ${t.id} (${t.user}) open ${t.seconds} s`).join('; ') : `none open ${f.limits.longTransactionS} s or longer (${ts.length} open)` };
    }),
  );
  out.push(check('no DDL running on the source', src.ddl, (ds) => ({ ok: ds.length === 0, evidence: ds.length ? ds.map((d) => `thread ${d.id} (${d.user}) ${d.seconds} s: ${d.statement}`).join('; ') : 'none' })));
  return out;
}
