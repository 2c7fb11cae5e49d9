import { describe, expect, it } from 'vitest';
import type { ReplicaStatus } from '../../src/mysql/admin.js';
import { evaluatePreflight, type PreflightFacts } from '../../src/migrate/preflight-checks.js';

const replica: ReplicaStatus = {
  sourceHost: '10.0.0.10', sourcePort: 3306, ioRunning: 'yes', sqlRunning: true, secondsBehind: 0,
  sourceLogFile: 'b.000001', readSourceLogPos: 500, relaySourceLogFile: 'b.000001', execSourceLogPos: 500,
  lastIoError: '', lastSqlError: '', lastIoErrno: 0, lastSqlErrno: 0, gtidExecuted: '', gtidRetrieved: '', usingGtid: true,
};
const grants = { grants: ['GRANT INSERT ON `app`.* TO `app`@`%`'], secretDigest: '*ABC' };

function facts(): PreflightFacts {
  return {
    source: { id: 'db-main', address: '10.0.0.10:3306', role: { ok: true, value: 'writer' }, longTransactions: { ok: true, value: [{ id: 7, user: 'app', seconds: 1 }] }, ddl: { ok: true, value: [] }, sqlLogBin: { ok: true, value: true } },
    target: { id: 'aurora-1', address: '10.0.1.10:3306', role: { ok: true, value: 'writer' }, replica: { ok: true, value: replica }, binlog: { ok: true, value: { logBin: true, format: 'ROW' } }, readers: 1 },
    users: [{ user: 'app', host: '%', source: { ok: true, value: grants }, target: { ok: true, value: grants }, frozenOnSource: { ok: true, value: false }, onTarget: { ok: true, value: { active: true, frozen: false } } }],
    writers: { hostEntries: { ok: true, value: [{ user: 'app', host: '%' }] }, bypass: { ok: true, value: [] }, events: { ok: true, value: { scheduler: 'OFF', enabled: ['app.nightly'] } } },
    dns: { writerName: 'main-w', readerName: 'main-r', writer: { ok: true, value: [{ address: '10.0.0.10', weight: 100 }] }, reader: { ok: true, value: [{ address: '10.0.0.11', weight: 100 }] }, served: { ok: true, value: ['10.0.0.10'] } },
    replicationLogin: { target: { ok: true, value: true }, source: { ok: true, value: true } },
    gtid: { source: { ok: true, value: { mode: 'ON', canAssign: true } }, target: { ok: true, value: { mode: 'ON', canAssign: true } } },
    definers: { source: { ok: true, value: { objects: [], override: ['SET_USER_ID'], adminHas: [] } }, target: { ok: true, value: { objects: [], override: ['SET_USER_ID'], adminHas: [] } } },
    limits: { maxLagS: 1, longTransactionS: 10 },
  };
}

const failed = (f: PreflightFacts) => evaluatePreflight(f).filter((c) => !c.ok).map((c) => `${c.check}: ${c.evidence}`);

describe('preflight checks (pure)', () => {
  it('all pass on a healthy setup, each with evidence', () => {
    const checks = evaluatePreflight(facts());
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.every((c) => c.evidence.length > 0)).toBe(true);
  });

  it.each<[string, (f: PreflightFacts) => void, RegExp]>([
    ['the target replicates from another server', (f) => (f.target.replica = { ok: true, value: { ...replica, sourceHost: '10.9.9.9' } }), /^target replicates from the source: source 10\.9\.9\.9:3306 \(expected 10\.0\.0\.10:3306\)/],
    ['the SQL thread stopped with an error', (f) => (f.target.replica = { ok: true, value: { ...replica, sqlRunning: false, lastSqlError: 'Duplicate entry' } }), /io=yes sql=no, last error: Duplicate entry/],
    ['no replication at all', (f) => (f.target.replica = { ok: true, value: null }), /has no replication configured/],
    ['lag over the limit', (f) => (f.target.replica = { ok: true, value: { ...replica, secondsBehind: 5 } }), /^target has no replication lag: Seconds_Behind_Master 5 \(limit 1 s\)/],
    ['lag unknown', (f) => (f.target.replica = { ok: true, value: { ...replica, secondsBehind: null } }), /Seconds_Behind_Master NULL/],
    ['binlog off', (f) => (f.target.binlog = { ok: true, value: { logBin: false, format: 'ROW' } }), /log_bin=OFF/],
    ['MIXED binlog', (f) => (f.target.binlog = { ok: true, value: { logBin: true, format: 'MIXED' } }), /binlog_format=MIXED/],
    ['the write user missing on the target', (f) => (f.users[0]!.target = { ok: true, value: undefined }), /missing on the target/],
    ['different grants', (f) => (f.users[0]!.target = { ok: true, value: { ...grants, grants: ['GRANT ALL ON *.* TO `app`@`%`'] } }), /source: GRANT INSERT .* \/ target: GRANT ALL/],
    ['different passwords', (f) => (f.users[0]!.target = { ok: true, value: { ...grants, secretDigest: '*DEF' } }), /PASSWORD HASHES DIFFER/],
    ['both names on the target', (f) => (f.users[0]!.onTarget = { ok: true, value: { active: true, frozen: true } }), /no app_frozen_dbfleet account on the target: both/],
    ['another host entry of a write user', (f) => (f.writers.hostEntries = { ok: true, value: [{ user: 'app', host: '%' }, { user: 'app', host: '10.%' }] }), /^every host entry of a write user is listed: not in write_users.*'app'@'10\.%'/],
    ['a write user with SUPER', (f) => (f.writers.bypass = { ok: true, value: [{ account: "'app'@'10.%'", on: 'source', privileges: ['SUPER'] }] }), /^no write user can write through read_only: 'app'@'10\.%' on the source: SUPER/],
    ['the event scheduler on with an enabled event', (f) => (f.writers.events = { ok: true, value: { scheduler: 'ON', enabled: ['app.nightly'] } }), /^no enabled event can write on the source: event_scheduler=ON; enabled events: app\.nightly/],
    ['a target without readers', (f) => (f.target.readers = 0), /^the target has a reader: none/],
    ['the writer record elsewhere', (f) => (f.dns.writer = { ok: true, value: [{ address: '10.0.1.10', weight: 100 }] }), /main-w: 10\.0\.1\.10\/100/],
    ['the replica record empty', (f) => (f.dns.reader = { ok: true, value: [] }), /main-r: \(none\)/],
    ['DNS serving something else', (f) => (f.dns.served = { ok: true, value: ['10.0.0.99'] }), /served by DNS: answer: 10\.0\.0\.99/],
    ['the replication login refused', (f) => (f.replicationLogin.target = { ok: false, error: 'Access denied for user repl' }), /reverse direction\): Access denied/],
    ['a long transaction', (f) => (f.source.longTransactions = { ok: true, value: [{ id: 9, user: 'batch', seconds: 42 }] }), /thread 9 \(batch\) open 42 s/],
    ['DDL running', (f) => (f.source.ddl = { ok: true, value: [{ id: 3, user: 'dba', seconds: 8, statement: 'ALTER TABLE t ADD c INT' }] }), /thread 3 \(dba\) 8 s: ALTER TABLE/],
    ['the source read-only', (f) => (f.source.role = { ok: true, value: 'reader' }), /^source is the writer: .* role reader/],
    ['the target unreachable', (f) => (f.target.role = { ok: false, error: 'connect ECONNREFUSED' }), /^target is writable: connect ECONNREFUSED/],
  ])('fails when %s', (_what, change, evidence) => {
    const f = facts();
    change(f);
    const out = failed(f);
    expect(out.length).toBeGreaterThan(0);
    expect(out.some((line) => evidence.test(line)), out.join('\n')).toBe(true);
  });

  it('a write user left frozen alone on the target (by a rollback) passes with that evidence; an event scheduler that is off passes', () => {
    const f = facts();
    f.users[0]!.onTarget = { ok: true, value: { active: false, frozen: true } };
    const checks = evaluatePreflight(f);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.check === 'no app_frozen_dbfleet account on the target')?.evidence).toMatch(/left frozen by a rollback/);
    expect(checks.find((c) => c.check === 'no enabled event can write on the source')?.evidence).toBe('event_scheduler=OFF; enabled events: app.nightly');
  });

  it('sql_log_bin: refused only when a write user is left frozen alone on the target (step 3 then renames unlogged); otherwise passes, naming what a later cutover needs', () => {
    const name = 'the admin can set sql_log_bin on the source (unlogged rename)';
    const denied = { ok: false as const, error: 'Access denied; you need (at least one of) the SUPER, BINLOG ADMIN privilege(s) for this operation' };
    const f = facts();
    f.source.sqlLogBin = denied;
    expect(evaluatePreflight(f).find((c) => c.check === name)).toEqual({ check: name, ok: true, evidence: expect.stringMatching(/^not needed: .*it cannot: Access denied.*a cutover after a rollback will need it/) });
    f.users[0]!.onTarget = { ok: true, value: { active: false, frozen: true } };
    expect(failed(f)).toEqual([expect.stringMatching(/^the admin can set sql_log_bin on the source \(unlogged rename\): Access denied.*'app_frozen_dbfleet'@'%' unlogged .*grant the admin SUPER or BINLOG ADMIN/)]);
    f.source.sqlLogBin = { ok: true, value: true };
    expect(evaluatePreflight(f).find((c) => c.check === name)).toMatchObject({ ok: true, evidence: expect.stringMatching(/^it can; step 3 renames 'app_frozen_dbfleet'@'%' unlogged/) });
  });

  it('a transaction shorter than the limit passes; DNS serving is "not checked" without dns.server', () => {
    const f = facts();
    f.dns.served = undefined;
    const checks = evaluatePreflight(f);
    expect(checks.find((c) => c.check === 'main-w is served by DNS')).toEqual({ check: 'main-w is served by DNS', ok: true, evidence: expect.stringMatching(/^not checked/) });
    expect(checks.find((c) => c.check === 'no long transaction on the source')?.ok).toBe(true);
  });

  const step9 = 'step 9: the source can replicate from the target (gtid_mode)';
  const rollback9 = "a rollback's step 9: the target can replicate from the source (gtid_mode)";
  const gtidOf = (mode: 'OFF' | 'OFF_PERMISSIVE' | 'ON_PERMISSIVE' | 'ON' | undefined, canAssign = true) => ({ ok: true as const, value: { mode, canAssign } });

  it.each<[string, Parameters<typeof gtidOf>, Parameters<typeof gtidOf>, string[], RegExp]>([
    ["an Aurora at OFF_PERMISSIVE (its default) behind a GTID source: step 9 assigns GTIDs on the source, the rollback's needs nothing", ['ON'], ['OFF_PERMISSIVE'], [], /ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL on the source/],
    ['a source that cannot assign GTIDs (MySQL < 8.0.23) behind an anonymous target: refused, saying which mode to change', ['ON', false], ['OFF_PERMISSIVE'], [step9], /cannot apply the anonymous transactions the target writes.*set gtid_mode on the target to ON_PERMISSIVE/],
    ["a target at OFF: the rollback's step 9 could not apply the source's GTID transactions", ['ON'], ['OFF'], [rollback9], /a replica at gtid_mode OFF cannot apply the GTID transactions the source writes: set gtid_mode on the target to OFF_PERMISSIVE/],
    ['both permissive', ['ON_PERMISSIVE'], ['OFF_PERMISSIVE'], [], /applies what the target writes as it is/],
    ['MariaDB (no gtid_mode)', [undefined, false], [undefined, false], [], /no gtid_mode on one side \(MariaDB\)/],
  ])('gtid_mode: %s', (_what, source, target, failing, evidence) => {
    const f = facts();
    f.gtid = { source: gtidOf(...source), target: gtidOf(...target) };
    const checks = evaluatePreflight(f);
    expect(checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(failing);
    expect(checks.filter((c) => c.check === step9 || c.check === rollback9).map((c) => c.evidence).join('\n')).toMatch(evidence);
  });

  it('a write user that is the DEFINER of a stored object: refused on MySQL 8.0.22+ unless the admin holds the override (naming each object), passes with a warning otherwise', () => {
    const name = 'no stored object defined by a write user blocks RENAME USER on the source';
    const objects = [{ kind: 'view', name: 'app.v_totals', definer: 'app@%' }, { kind: 'trigger', name: 'app.t_audit', definer: 'app@%' }];
    const f = facts();
    f.definers.source = { ok: true, value: { objects, override: ['SET_ANY_DEFINER', 'ALLOW_NONEXISTENT_DEFINER'], adminHas: [] } };
    expect(failed(f)).toEqual([expect.stringMatching(/^no stored object defined by a write user blocks RENAME USER on the source: step 3's rename would fail \(ER 4006.*view app\.v_totals \(DEFINER app@%\), trigger app\.t_audit \(DEFINER app@%\).*grant the admin SET_ANY_DEFINER or ALLOW_NONEXISTENT_DEFINER on the source/)]);
    f.definers.source = { ok: true, value: { objects, override: ['SET_ANY_DEFINER', 'ALLOW_NONEXISTENT_DEFINER'], adminHas: ['SET_ANY_DEFINER'] } };
    expect(evaluatePreflight(f).find((c) => c.check === name)).toEqual({ check: name, ok: true, evidence: expect.stringMatching(/^the admin holds SET_ANY_DEFINER, so the rename goes through: view app\.v_totals .*their DEFINER does not exist/) });
    // MariaDB does not check (override undefined): passes, saying what is orphaned meanwhile
    f.definers.source = { ok: true, value: { objects, override: undefined, adminHas: [] } };
    expect(evaluatePreflight(f).find((c) => c.check === name)?.evidence).toMatch(/^this server does not refuse the rename: view app\.v_totals/);
    // the target's objects matter for a rollback
    f.definers.target = { ok: true, value: { objects: [objects[0]!], override: ['SET_USER_ID'], adminHas: [] } };
    expect(failed(f)).toEqual([expect.stringMatching(/^no stored object defined by a write user blocks RENAME USER on the target: a rollback's step 3 \(and undo\) rename would fail .*grant the admin SET_USER_ID on the target/)]);
  });

  it("a MySQL source's super_read_only stops a SUPER write user: the bypass check says so", () => {
    const f = facts();
    f.writers.sourceReadOnlyStopsAll = true;
    expect(evaluatePreflight(f).find((c) => c.check === 'no write user can write through read_only')?.evidence).toMatch(/on the source step 3 sets super_read_only, which stops them too/);
  });
});
