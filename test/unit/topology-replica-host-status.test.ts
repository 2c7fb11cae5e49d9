// Pure code: no AWS involved (none is reachable from this machine). The rows are shaped like
// Aurora MySQL's information_schema.replica_host_status as mysql2 returns them with
// dateStrings: true (DATETIME(6) as a string, DOUBLE as a number, BIGINT as a number).
import { describe, expect, it } from 'vitest';
import { parseReplicaHostStatus, REPLICA_HOST_STATUS_SQL, replicaHostStatusSql, writerFromReplicaHostStatus } from '../../src/failover/topology/replica-host-status.js';

const row = (serverId: string, sessionId: string, lag: unknown, last: unknown, ageUs?: unknown) => ({
  SERVER_ID: serverId,
  SESSION_ID: sessionId,
  REPLICA_LAG_IN_MILLISECONDS: lag,
  LAST_UPDATE_TIMESTAMP: last,
  ...(ageUs !== undefined ? { AGE_US: ageUs } : {}),
});

describe('parseReplicaHostStatus', () => {
  it.each([
    ['the writer row', row('aurora-prod-01-instance-1', 'MASTER_SESSION_ID', 0, '2026-11-23 09:15:42.118402', 312_000),
      { serverId: 'aurora-prod-01-instance-1', isWriter: true, sessionId: 'MASTER_SESSION_ID', lagMs: 0, lastUpdate: Date.UTC(2026, 10, 23, 9, 15, 42, 118), ageMs: 312 }],
    ['a reader row with lag', row('aurora-prod-01-instance-2', '5c8e7f2a-4b1d-4e3f-9a6b-0c1d2e3f4a5b', 17.25, '2026-11-23 09:15:42.301977', 129_000),
      { serverId: 'aurora-prod-01-instance-2', isWriter: false, sessionId: '5c8e7f2a-4b1d-4e3f-9a6b-0c1d2e3f4a5b', lagMs: 17.25, lastUpdate: Date.UTC(2026, 10, 23, 9, 15, 42, 301), ageMs: 129 }],
    ['lag and age as strings (DECIMAL/BIGINT as strings)', row('r3', 'f00d', '42.5', '2026-11-23 09:15:40', '2500000'),
      { serverId: 'r3', isWriter: false, sessionId: 'f00d', lagMs: 42.5, lastUpdate: Date.UTC(2026, 10, 23, 9, 15, 40), ageMs: 2500 }],
    ['a Date and no AGE_US (a plain SELECT *)', row('r4', 'beef', 3, new Date(Date.UTC(2026, 10, 23, 9, 0, 0))),
      { serverId: 'r4', isWriter: false, sessionId: 'beef', lagMs: 3, lastUpdate: Date.UTC(2026, 10, 23, 9, 0, 0), ageMs: null }],
    ['NULL or negative lag is unknown', row('r5', 'cafe', -1, null, 0),
      { serverId: 'r5', isWriter: false, sessionId: 'cafe', lagMs: null, lastUpdate: null, ageMs: 0 }],
  ])('%s', (_name, input, expected) => {
    expect(parseReplicaHostStatus([input])).toEqual([expected]);
  });

  it('accepts lower-case column names', () => {
    expect(parseReplicaHostStatus([{ server_id: 'x', session_id: 'MASTER_SESSION_ID', replica_lag_in_milliseconds: 0, last_update_timestamp: '2026-11-23 09:00:00.000000' }])[0]).toMatchObject({ serverId: 'x', isWriter: true });
  });

  it('a row without SERVER_ID is a typed error, not a silent skip', () => {
    expect(() => parseReplicaHostStatus([{ SESSION_ID: 'MASTER_SESSION_ID' }])).toThrow(expect.objectContaining({ code: 'REPLICA_HOST_STATUS_UNPARSABLE' }));
  });

  it('the SQL reads the documented columns from the Aurora table', () => {
    for (const col of ['SERVER_ID', 'SESSION_ID', 'REPLICA_LAG_IN_MILLISECONDS', 'LAST_UPDATE_TIMESTAMP', 'AGE_US']) expect(REPLICA_HOST_STATUS_SQL).toContain(col);
    expect(REPLICA_HOST_STATUS_SQL).toMatch(/FROM information_schema\.replica_host_status$/);
  });

  it('ages rows against UTC, as Aurora stamps them, never against the session time zone', () => {
    // a real server in +09:00 shows the difference: test/integration/checker-replica-host-status.test.ts
    expect(REPLICA_HOST_STATUS_SQL).toContain('TIMESTAMPDIFF(MICROSECOND, LAST_UPDATE_TIMESTAMP, UTC_TIMESTAMP(6)) AS AGE_US');
    expect(REPLICA_HOST_STATUS_SQL).not.toMatch(/NOW\(/);
  });

  it.each(['x', 'a.b.c', 'db.t; DROP TABLE rr', 'db.`t`', ''])('refuses %j as the table to read', (table) => {
    expect(() => replicaHostStatusSql(table)).toThrow(/db\.table/);
  });
});

describe('writerFromReplicaHostStatus', () => {
  const parse = (...rows: ReturnType<typeof row>[]) => parseReplicaHostStatus(rows);
  it.each([
    ['one fresh writer', parse(row('w', 'MASTER_SESSION_ID', 0, '2026-11-23 09:00:00', 200_000), row('r', 's1', 10, '2026-11-23 09:00:00', 100_000)), { writer: 'w', ambiguous: false, candidates: ['w'] }],
    ['the writer row is stale (the writer died)', parse(row('w', 'MASTER_SESSION_ID', 0, '2026-11-23 09:00:00', 9_000_000), row('r', 's1', 10, '2026-11-23 09:00:09', 100_000)), { writer: undefined, ambiguous: false, candidates: [] }],
    ['mid-failover: the old writer row lingers, the newest comes first', parse(row('old', 'MASTER_SESSION_ID', 0, '2026-11-23 09:00:00', 2_500_000), row('new', 'MASTER_SESSION_ID', 0, '2026-11-23 09:00:02', 300_000)), { writer: 'new', ambiguous: true, candidates: ['new', 'old'] }],
    ['no writer row at all', parse(row('r1', 's1', 10, '2026-11-23 09:00:00', 1000), row('r2', 's2', 10, '2026-11-23 09:00:00', 1000)), { writer: undefined, ambiguous: false, candidates: [] }],
  ])('%s', (_name, statuses, expected) => {
    expect(writerFromReplicaHostStatus(statuses, 3_000)).toEqual(expected);
  });

  it('without AGE_US, freshness is judged against the given now', () => {
    const s = parse(row('w', 'MASTER_SESSION_ID', 0, '2026-11-23 09:00:00'));
    expect(writerFromReplicaHostStatus(s, 3_000, Date.UTC(2026, 10, 23, 9, 0, 2)).writer).toBe('w');
    expect(writerFromReplicaHostStatus(s, 3_000, Date.UTC(2026, 10, 23, 9, 0, 5)).writer).toBeUndefined();
    expect(writerFromReplicaHostStatus(s, 3_000).writer).toBeUndefined();
  });
});
