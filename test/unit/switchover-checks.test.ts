import { describe, expect, it } from 'vitest';
import type { ReplicaStatus } from '../../src/mysql/admin.js';
import { errantTransactions, parseGtidList, refusals, type SwitchoverFacts } from '../../src/shard/switchover/switchover-checks.js';

const replica = (over: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
  sourceHost: '10.0.0.1', sourcePort: 3306, ioRunning: 'yes', sqlRunning: true, secondsBehind: 0,
  sourceLogFile: 'mysql-bin.000001', readSourceLogPos: 100, relaySourceLogFile: 'mysql-bin.000001', execSourceLogPos: 100,
  lastIoError: '', lastSqlError: '', lastIoErrno: 0, lastSqlErrno: 0, gtidExecuted: '0-1-10', gtidRetrieved: '0-1-10', usingGtid: true, ...over,
});
const facts = (over: { master?: Partial<SwitchoverFacts['master']>; candidate?: Partial<SwitchoverFacts['candidate']>; longTransactions?: SwitchoverFacts['longTransactions'] } = {}): SwitchoverFacts => ({
  master: { id: 'm', host: '10.0.0.1', port: 3306, readOnly: false, gtidBinlogState: '0-1-10', ...over.master },
  candidate: { id: 'c', replica: replica(), gtidBinlogState: '0-1-10', serverId: 2, ...over.candidate },
  longTransactions: over.longTransactions ?? [],
  maxLagSeconds: 1,
});

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
    ['a write of its own', facts({ candidate: { gtidBinlogState: '0-2-11' } }), ['ERRANT_TRANSACTIONS']],
    ['a GTID ahead of the master', facts({ candidate: { gtidBinlogState: '0-1-12' } }), ['ERRANT_TRANSACTIONS']],
    ['a domain the master never had', facts({ candidate: { gtidBinlogState: '0-1-10,5-1-3' } }), ['ERRANT_TRANSACTIONS']],
    ['a write of its own hidden behind later replicated ones', facts({ candidate: { gtidBinlogState: '0-2-5,0-1-10' } }), ['ERRANT_TRANSACTIONS']],
    ['history of an earlier master the master has too', facts({ master: { gtidBinlogState: '0-2-5,0-1-10' }, candidate: { gtidBinlogState: '0-2-5,0-1-10' } }), []],
    ['an application user with SUPER', { ...facts(), readOnlyBypass: ['app'] }, ['READ_ONLY_BYPASS']],
    ['a long transaction on the master', facts({ longTransactions: [{ id: 42, seconds: 30 }] }), ['LONG_TRANSACTION']],
  ])('%s', (_what, f, codes) => {
    expect(refusals(f).map((r) => r.code)).toEqual(codes);
  });

  it('accepts history written by an earlier master (after a previous switchover)', () => {
    expect(errantTransactions('0-2-30', '0-2-30')).toEqual([]);
    expect(errantTransactions('0-2-30', '0-1-31')).toEqual(['0-1-31']);
  });

  it('parses MariaDB GTID lists and rejects garbage', () => {
    expect([...parseGtidList('0-101-57,1-5-9')]).toEqual([[0, { server: 101, seq: 57 }], [1, { server: 5, seq: 9 }]]);
    expect(parseGtidList('').size).toBe(0);
    expect(() => parseGtidList('0-1')).toThrow(/not a MariaDB GTID/);
  });
});
