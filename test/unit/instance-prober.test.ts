import { describe, expect, it } from 'vitest';
import type { Endpoint, MysqlAdmin, Row, SqlSession } from '../../src/mysql/admin.js';
import { InstanceProber } from '../../src/failover/probe/instance-prober.js';
import { REPLICA_HOST_STATUS_SQL } from '../../src/failover/topology/replica-host-status.js';

// Aurora cannot run here: a scripted per-host stand-in answers the two queries an Aurora probe
// sends (the role query via MysqlAdmin.role, and replica_host_status), with Aurora's row shape.
function scriptedAurora(opts: { readOnly: boolean; hostStatus: Row[] | Error; refuseNew?: boolean }): { connectAdmin: () => Promise<MysqlAdmin>; openSession: () => Promise<SqlSession>; greeting: () => Promise<{ ok: boolean; error?: string }>; queries: string[] } {
  const queries: string[] = [];
  const session = {
    threadId: 1,
    query: async (sql: string): Promise<Row[]> => {
      queries.push(sql);
      if (sql === REPLICA_HOST_STATUS_SQL) {
        if (opts.hostStatus instanceof Error) throw opts.hostStatus;
        return opts.hostStatus;
      }
      throw new Error(`unexpected ${sql}`);
    },
    execute: async () => ({ affectedRows: 0, insertId: 0 }),
    close: async () => undefined,
    destroy: () => undefined,
  } as SqlSession;
  const admin = {
    endpoint: { host: '127.0.0.1', port: 3306, user: 'x' },
    version: { flavor: 'aurora-mysql', major: 8, minor: 0, patch: 32, raw: '8.0.32 (aurora 3.05.2)' },
    role: async () => {
      queries.push('role');
      return opts.readOnly ? 'reader' : 'writer';
    },
    session,
    close: async () => undefined,
  } as unknown as MysqlAdmin;
  return { connectAdmin: async () => admin, openSession: async () => session, greeting: async () => (opts.refuseNew ? { ok: false, error: 'refused' } : { ok: true }), queries };
}

const endpoint: Endpoint = { host: '10.0.0.3', port: 3306, user: 'dbfleet' };
const row = (id: string, session: string, ageUs: number): Row => ({ SERVER_ID: id, SESSION_ID: session, LAST_UPDATE_TIMESTAMP: '2026-11-23 00:00:00.000000', REPLICA_LAG_IN_MILLISECONDS: 10, AGE_US: ageUs });

function prober(s: ReturnType<typeof scriptedAurora>, every = 100): InstanceProber {
  return new InstanceProber({ instanceId: 'inst-03', endpoint, flavor: 'aurora-mysql', timeouts: { connectTimeoutMs: 100, queryTimeoutMs: 100 }, newConnectionEvery: every, now: () => 1_000 }, s);
}

describe('InstanceProber', () => {
  it('reads only the role while its cluster is healthy', async () => {
    const s = scriptedAurora({ readOnly: true, hostStatus: [row('inst-01', 'MASTER_SESSION_ID', 1_000)] });
    const p = prober(s);
    const r = await p.probe();
    expect(r).toMatchObject({ ok: true, role: 'reader', instanceId: 'inst-03' });
    expect(r.auroraWriterView).toBeUndefined();
    expect(s.queries).toEqual(['role']);
  });

  it('adds who replica_host_status names as the writer when asked (the second vantage point)', async () => {
    const s = scriptedAurora({ readOnly: true, hostStatus: [row('inst-02', 'MASTER_SESSION_ID', 200_000), row('inst-03', 'a1b2', 300_000)] });
    const p = prober(s);
    p.wantWriterView = true;
    expect((await p.probe()).auroraWriterView).toEqual({ reporterId: 'inst-03', writerServerId: 'inst-02' });
  });

  it.each([
    ['two fresh writer rows (the old writer lingers)', [row('inst-01', 'MASTER_SESSION_ID', 100_000), row('inst-02', 'MASTER_SESSION_ID', 200_000)]],
    ['only a stale writer row', [row('inst-01', 'MASTER_SESSION_ID', 60_000_000)]],
    ['an unreadable table', new Error('SELECT command denied')],
  ])('gives no view, and still a good probe, for %s', async (_what, hostStatus) => {
    const s = scriptedAurora({ readOnly: true, hostStatus: hostStatus as Row[] | Error });
    const p = prober(s);
    p.wantWriterView = true;
    const r = await p.probe();
    expect(r.ok).toBe(true);
    expect(r.auroraWriterView).toBeUndefined();
  });

  it('marks a probe failed when the existing connection works but a new one is refused', async () => {
    const s = scriptedAurora({ readOnly: false, hostStatus: [], refuseNew: true });
    const p = prober(s, 2);
    expect((await p.probe()).ok).toBe(true); // connected just now: new connections work
    const second = await p.probe();
    expect(second).toMatchObject({ ok: false, role: 'writer', newConnectionOk: false });
  });
});
