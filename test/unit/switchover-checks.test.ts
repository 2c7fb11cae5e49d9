import { describe, expect, it } from 'vitest';
import type { ReplicaStatus } from '../../src/mysql/admin.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion } from '../../src/mysql/server-version.js';
import { holdsUpReadOnly, refusals, statementVerb, type SwitchoverFacts } from '../../src/shard/switchover/switchover-checks.js';

const replica = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
  sourceHost: '10.0.0.1', sourcePort: 3306, ioRunning: 'yes', sqlRunning: true, secondsBehind: 0,
  sourceLogFile: 'mysql-bin.000001', readSourceLogPos: 100, relaySourceLogFile: 'mysql-bin.000001', execSourceLogPos: 100,
  lastIoError: '', lastSqlError: '', lastIoErrno: 0, lastSqlErrno: 0, gtidExecuted: '0-1-10', gtidRetrieved: '0-1-10', usingGtid: true, ...over,
});
const mariadb = dialectFor(parseServerVersion({ version: '10.11.6-MariaDB' }));
const mysql = dialectFor(parseServerVersion({ version: '9.7.4' }));
const U1 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const U2 = '4d22fb58-82db-22f2-af44-d91bb0530673';

/** Facts as the precheck reads them: the errant transactions by the engine's own comparison of both states. */
const facts = (over: { master?: Partial<SwitchoverFacts['master']>; candidate?: Partial<SwitchoverFacts['candidate']>; longTransactions?: SwitchoverFacts['longTransactions'] } = {}, d = mariadb): SwitchoverFacts => {
  const empty = d === mariadb ? '0-1-10' : `${U1}:1-10`;
  const master = { id: 'm', host: '10.0.0.1', port: 3306, readOnly: false, gtidState: empty, ...over.master };
  const candidate = { id: 'c', replica: replica(), gtidState: empty, serverId: 2, ...over.candidate };
  return { master, candidate, errantGtids: d.errantGtids(master.gtidState, candidate.gtidState), longTransactions: over.longTransactions ?? [], maxLagSeconds: 1 };
};

describe('switchover refusals', () => {
  it.each([
    ['a healthy, caught-up candidate', facts(), []],
    ['a read-only master', facts({ master: { readOnly: true } }), ['MASTER_READ_ONLY']],
    ['a candidate of another source', facts({ candidate: { replica: replica({ sourceHost: '10.0.0.9' }) } }), ['CANDIDATE_NOT_REPLICA']],
    ['no replication at all', facts({ candidate: { replica: null } }), ['CANDIDATE_NOT_REPLICA']],
    ['a stopped IO thread', facts({ candidate: { replica: replica({ ioRunning: 'no', lastIoError: 'cannot connect' }) } }), ['REPLICATION_BROKEN']],
    ['a stopped SQL thread (lag unknown)', facts({ candidate: { replica: replica({ sqlRunning: false, secondsBehind: null }) } }), ['REPLICATION_BROKEN', 'CANDIDATE_LAGS']],
    ['lag above the limit', facts({ candidate: { replica: replica({ secondsBehind: 5 }) } }), ['CANDIDATE_LAGS']],
    ['lag at the limit', facts({ candidate: { replica: replica({ secondsBehind: 1 }) } }), []],
    ['a write of its own', facts({ candidate: { gtidState: '0-2-11' } }), ['ERRANT_TRANSACTIONS']],
    ['a GTID ahead of the master', facts({ candidate: { gtidState: '0-1-12' } }), ['ERRANT_TRANSACTIONS']],
    ['a domain the master never had', facts({ candidate: { gtidState: '0-1-10,5-1-3' } }), ['ERRANT_TRANSACTIONS']],
    ['a write of its own hidden behind later replicated ones', facts({ candidate: { gtidState: '0-2-5,0-1-10' } }), ['ERRANT_TRANSACTIONS']],
    ['history of an earlier master the master has too', facts({ master: { gtidState: '0-2-5,0-1-10' }, candidate: { gtidState: '0-2-5,0-1-10' } }), []],
    ['an application user with SUPER', { ...facts(), readOnlyBypass: ['app'] }, ['READ_ONLY_BYPASS']],
    ['a long transaction on the master', facts({ longTransactions: [{ id: 42, seconds: 30 }] }), ['LONG_TRANSACTION']],
  ])('%s', (_what, f, codes) => {
    expect(refusals(f).map((r) => r.code)).toEqual(codes);
  });

  it.each([
    ['MySQL: a caught-up candidate', facts({ master: { gtidState: `${U1}:1-12` } }, mysql), []],
    ['MySQL: a write of its own', facts({ candidate: { gtidState: `${U1}:1-10,${U2}:1` } }, mysql), ['ERRANT_TRANSACTIONS']],
    ['MySQL: a GTID the master never logged', facts({ candidate: { gtidState: `${U1}:1-11` } }, mysql), ['ERRANT_TRANSACTIONS']],
    ['MySQL: history of an earlier master both have', facts({ master: { gtidState: `${U1}:1-10,${U2}:1-5` }, candidate: { gtidState: `${U2}:1-5,${U1}:1-9` } }, mysql), []],
  ])('%s', (_what, f, codes) => {
    expect(refusals(f).map((r) => r.code)).toEqual(codes);
  });

  it('names the errant transactions in the refusal', () => {
    expect(refusals(facts({ candidate: { gtidState: `${U1}:1-10,${U2}:1-2` } }, mysql))[0]?.message).toBe(`c has transactions the master does not: ${U2}:1-2`);
    expect(refusals(facts({ candidate: { gtidState: '0-2-30,0-1-10' } }))[0]?.message).toBe('c has transactions the master does not: 0-2-30');
  });
});

describe('running statements that hold up read_only', () => {
  it.each([
    ['SELECT SLEEP(60)', false],
    ['select * from app.writes lock in share mode', false],
    ['SELECT id FROM app.writes FOR SHARE', false],
    ['(SELECT 1) UNION (SELECT 2)', false],
    ['/* app */ SELECT * FROM app.writes', false],
    ['SHOW PROCESSLIST', false],
    ['DO SLEEP(10)', false],
    ['SELECT * FROM app.writes WHERE id = 1 FOR UPDATE', true],
    ['/* app */\nselect id from app.writes for   update', true],
    ['UPDATE app.writes SET seq = seq + 1', true],
    ['INSERT INTO app.writes VALUES (1)', true],
    ['ALTER TABLE app.writes ADD COLUMN x INT', true],
    ['-- maintenance\nOPTIMIZE TABLE app.writes', true],
    ['CALL app.nightly()', true],
    ['WITH t AS (SELECT 1) UPDATE app.writes SET seq = 1', true],
    [null, true],
  ])('%s -> %s', (text, holds) => {
    expect(holdsUpReadOnly(text)).toBe(holds);
  });

  it('names a statement by its verb only, never its text (it may hold a password)', () => {
    expect(statementVerb("ALTER USER 'app'@'%' IDENTIFIED BY 's3cret'")).toBe('an ALTER');
    expect(statementVerb('/* x */ update app.writes set seq = 1')).toBe('an UPDATE');
    expect(statementVerb('SELECT 1 FOR UPDATE')).toBe('a SELECT');
    expect(statementVerb(null)).toBe('a statement');
    expect(statementVerb('  ')).toBe('a statement');
  });

  it('refuses a long write or FOR UPDATE on the master, naming thread, user, verb and time; not a long plain SELECT', () => {
    const f = { ...facts(), runningStatements: [
      { id: 7, user: 'report', seconds: 600, text: 'SELECT * FROM app.writes' },
      { id: 8, user: 'app', seconds: 42, text: "UPDATE app.writes SET note = 'pw=hunter2'" },
    ] };
    const r = refusals(f);
    expect(r.map((x) => x.code)).toEqual(['LONG_STATEMENT']);
    expect(r[0]?.message).toBe('thread 8 (app) has been running an UPDATE on m for 42 s; read_only waits for it, and every write queues behind read_only meanwhile (the switchover would back out at its lock wait bound)');
    expect(r[0]?.message).not.toContain('hunter2');
  });
});

describe('the write fence query of each engine', () => {
  it('reads the GTID set and the full read-only switch from server variables (O(1) in binlog size)', () => {
    expect(mysql.writeFenceQuery().sql).toBe('SELECT @@GLOBAL.gtid_executed AS gtid, @@GLOBAL.super_read_only AS ro');
    expect(mariadb.writeFenceQuery().sql).toBe('SELECT @@GLOBAL.gtid_binlog_pos AS gtid, @@GLOBAL.read_only AS ro');
  });
});
