import type { ReplicaStatus, Role } from '../mysql/admin.js';
import { gtidPairPlan, type GtidMode } from './gtid-mode-plan.js';
import { unlistedHostEntries } from './write-user-audit.js';
import { FROZEN_SUFFIX, type AccountState } from './write-user-rename.js';

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
  /** Both names on the target: frozen alone is what a rollback's step 9 leaves on an Aurora old writer. */
  onTarget: Fact<AccountState>;
}

/** Writers the rename of the listed accounts would not stop (read_only stops them in step 3; preflight names them). */
export interface OtherWriterFacts {
  /** Every mysql.user entry, on the source, of a listed user name. */
  hostEntries: Fact<{ user: string; host: string }[]>;
  /** Host entries of the listed user names (source and target) with a privilege that bypasses read_only. */
  bypass: Fact<{ account: string; on: string; privileges: string[] }[]>;
  /** The source's event scheduler and its enabled events. */
  events: Fact<{ scheduler: string; enabled: string[] }>;
  /** The source's full read-only stops every privilege (MySQL super_read_only): its accounts are not looked at for `bypass`. */
  sourceReadOnlyStopsAll?: boolean | undefined;
}

/** A writer's gtid_mode (undefined on MariaDB) and whether its server can assign GTIDs to anonymous transactions. */
export interface GtidFacts {
  mode: GtidMode | undefined;
  canAssign: boolean;
}

/** Stored objects whose DEFINER is a write user, on one side, and whether the admin's RENAME USER goes through anyway. */
export interface DefinerFacts {
  objects: { kind: string; name: string; definer: string }[];
  /** The dialect's renameDefinerOverridePrivileges(): undefined where RENAME USER does not check definers. */
  override: readonly string[] | undefined;
  /** Which of those the admin holds (its own SHOW GRANTS). */
  adminHas: string[];
}

export interface PreflightFacts {
  source: {
    id: string;
    address: string;
    role: Fact<Role>;
    longTransactions: Fact<{ id: number; user: string; seconds: number }[]>;
    ddl: Fact<{ id: number; user: string; seconds: number; statement: string }[]>;
    /** The admin set its session's sql_log_bin (to the value it had): the privilege step 3 needs for an unlogged rename. */
    sqlLogBin: Fact<true>;
  };
  target: { id: string; address: string; role: Fact<Role>; replica: Fact<ReplicaStatus | null>; binlog: Fact<{ logBin: boolean; format: string }>; readers: number };
  users: UserFacts[];
  writers: OtherWriterFacts;
  dns: {
    writerName: string;
    readerName: string;
    writer: Fact<{ address: string; weight: number }[]>;
    reader: Fact<{ address: string; weight: number }[]>;
    /** PowerDNS's answer for the writer name; undefined when no dns.server is configured. */
    served: Fact<string[]> | undefined;
  };
  replicationLogin: { target: Fact<true>; source: Fact<true> };
  gtid: { source: Fact<GtidFacts>; target: Fact<GtidFacts> };
  definers: { source: Fact<DefinerFacts>; target: Fact<DefinerFacts> };
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
    out.push(check(`no ${u.user}${FROZEN_SUFFIX} account on the source`, u.frozenOnSource, (exists) => ({ ok: !exists, evidence: exists ? `'${u.user}${FROZEN_SUFFIX}'@'${u.host}' exists (a cutover left half done? see migrate rollback)` : 'absent' })));
    out.push(
      check(`no ${u.user}${FROZEN_SUFFIX} account on the target`, u.onTarget, (st) => {
        if (!st.frozen) return { ok: true, evidence: 'absent' };
        if (!st.active) return { ok: true, evidence: `'${u.user}${FROZEN_SUFFIX}'@'${u.host}' alone: left frozen by a rollback (Aurora cannot be made read-only); step 3's rename on the source then does not replicate (sql_log_bin = 0) and step 4 thaws it there after the final position` };
        return { ok: false, evidence: `both '${u.user}'@'${u.host}' and '${u.user}${FROZEN_SUFFIX}'@'${u.host}' exist (a cutover left half done? see migrate rollback)` };
      }),
    );
  }
  out.push(unloggedRenameCheck(f));
  out.push(definerCheck('source', "step 3's rename", f.definers.source));
  out.push(definerCheck('target', "a rollback's step 3 (and undo) rename", f.definers.target));
  const w = f.writers;
  out.push(
    check('every host entry of a write user is listed', w.hostEntries, (es) => {
      const extra = unlistedHostEntries(f.users, es);
      return {
        ok: extra.length === 0,
        evidence: extra.length ? `not in write_users, so the rename does not stop them: ${extra.map((e) => `'${e.user}'@'${e.host}'`).join(', ')} (list them, or drop them)` : `${es.map((e) => `'${e.user}'@'${e.host}'`).join(', ')}`,
      };
    }),
  );
  out.push(
    check('no write user can write through read_only', w.bypass, (bs) => ({
      ok: bs.length === 0,
      evidence: bs.length
        ? bs.map((b) => `${b.account} on the ${b.on}: ${b.privileges.join(', ')}`).join('; ')
        : `no SUPER / CONNECTION_ADMIN / READ_ONLY ADMIN / ALL on *.*${w.sourceReadOnlyStopsAll ? " on the target; on the source step 3 sets super_read_only, which stops them too" : ''}`,
    })),
  );
  out.push(
    check('no enabled event can write on the source', w.events, (e) => {
      const on = e.scheduler.toUpperCase() === 'ON';
      return { ok: !on || e.enabled.length === 0, evidence: `event_scheduler=${e.scheduler}${e.enabled.length ? `; enabled events: ${e.enabled.join(', ')}` : '; no enabled event'}` };
    }),
  );
  out.push({ check: 'the target has a reader', ok: tgt.readers > 0, evidence: tgt.readers > 0 ? `${tgt.readers} reader(s); the target's writer stays at weight 0 in the replica record` : 'none: the replica record would be empty (its writer stays at weight 0 until step 7); add a reader first' });
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
  out.push(gtidCheck("step 9: the source can replicate from the target (gtid_mode)", f.gtid.source, 'the source', f.gtid.target, 'the target'));
  out.push(gtidCheck("a rollback's step 9: the target can replicate from the source (gtid_mode)", f.gtid.target, 'the target', f.gtid.source, 'the source'));
  out.push(
    check('no long transaction on the source', src.longTransactions, (ts) => {
      const long = ts.filter((t) => t.seconds >= f.limits.longTransactionS);
      return { ok: long.length === 0, evidence: long.length ? long.map((t) => `thread ${t.id} (${t.user}) open ${t.seconds} s`).join('; ') : `none open ${f.limits.longTransactionS} s or longer (${ts.length} open)` };
    }),
  );
  out.push(check('no DDL running on the source', src.ddl, (ds) => ({ ok: ds.length === 0, evidence: ds.length ? ds.map((d) => `thread ${d.id} (${d.user}) ${d.seconds} s: ${d.statement}`).join('; ') : 'none' })));
  return out;
}

/**
 * Step 3 renames a write user that a rollback left frozen alone on the target inside
 * `SET SESSION sql_log_bin = 0` (the undo of step 3 likewise), which needs SUPER / BINLOG ADMIN
 * (MariaDB) or SYSTEM_VARIABLES_ADMIN / SESSION_VARIABLES_ADMIN (MySQL 8) on the source. Without it
 * step 3 would fail after the freeze had begun; preflight says so first. Otherwise not needed.
 */
function unloggedRenameCheck(f: PreflightFacts): CheckResult {
  const name = 'the admin can set sql_log_bin on the source (unlogged rename)';
  const frozen = f.users.filter((u) => u.onTarget.ok && u.onTarget.value.frozen && !u.onTarget.value.active).map((u) => `'${u.user}${FROZEN_SUFFIX}'@'${u.host}'`);
  const fact = f.source.sqlLogBin;
  if (frozen.length === 0) {
    return { check: name, ok: true, evidence: `not needed: no write user is left frozen alone on the target${fact.ok ? ' (it can)' : ` (it cannot: ${fact.error}; a cutover after a rollback will need it)`}` };
  }
  return fact.ok
    ? { check: name, ok: true, evidence: `it can; step 3 renames ${frozen.join(', ')} unlogged (a rollback left that name frozen alone on the target)` }
    : { check: name, ok: false, evidence: `${fact.error}: step 3 must rename ${frozen.join(', ')} unlogged (a rollback left that name frozen alone on the target); grant the admin SUPER or BINLOG ADMIN (MariaDB) / SYSTEM_VARIABLES_ADMIN (MySQL 8) on the source` };
}

/** Whether the replica side can apply what the source side writes, by gtid_mode (gtid-mode-plan.ts). */
function gtidCheck(name: string, replica: Fact<GtidFacts>, replicaName: string, source: Fact<GtidFacts>, sourceName: string): CheckResult {
  if (!replica.ok) return { check: name, ok: false, evidence: replica.error };
  if (!source.ok) return { check: name, ok: false, evidence: source.error };
  const plan = gtidPairPlan({ name: replicaName, mode: replica.value.mode, canAssign: replica.value.canAssign }, { name: sourceName, mode: source.value.mode });
  return plan.kind === 'refuse' ? { check: name, ok: false, evidence: `${plan.why}: ${plan.next}` } : { check: name, ok: true, evidence: plan.why };
}

/**
 * RENAME USER of an account that is the DEFINER of a view, routine, trigger or event fails on MySQL
 * 8.0.22+ (ER 4006) unless the admin holds the override privilege; with it, or on MariaDB, the
 * rename goes through and those objects have no DEFINER until the rename back.
 */
function definerCheck(side: 'source' | 'target', where: string, fact: Fact<DefinerFacts>): CheckResult {
  const name = `no stored object defined by a write user blocks RENAME USER on the ${side}`;
  if (!fact.ok) return { check: name, ok: false, evidence: fact.error };
  const d = fact.value;
  if (d.objects.length === 0) return { check: name, ok: true, evidence: 'no view, routine, trigger or event has a write user as DEFINER' };
  const list = d.objects.map((o) => `${o.kind} ${o.name} (DEFINER ${o.definer})`).join(', ');
  const orphaned = `${list}: their DEFINER does not exist from ${where} until the rename back (what runs as its DEFINER fails meanwhile: every trigger and event, SQL SECURITY DEFINER views and routines)`;
  if (d.override === undefined) return { check: name, ok: true, evidence: `this server does not refuse the rename: ${orphaned}` };
  if (d.adminHas.length > 0) return { check: name, ok: true, evidence: `the admin holds ${d.adminHas.join(', ')}, so the rename goes through: ${orphaned}` };
  return {
    check: name,
    ok: false,
    evidence: `${where} would fail (ER 4006: RENAME USER of a DEFINER account): ${list}; give them another DEFINER (ALTER VIEW / ALTER EVENT ... DEFINER =, or re-create the routine or trigger), or grant the admin ${d.override.join(' or ')} on the ${side}`,
  };
}
