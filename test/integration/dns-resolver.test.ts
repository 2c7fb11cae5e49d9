import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlSession } from '../../src/mysql/admin.js';
import { registerCluster } from '../../src/dns/cluster-records.js';
import { createFollowingPool } from '../../src/dns/following-pool.js';
import { applyChangeSet, replaceWriter, setWeight } from '../../src/dns/record-store.js';
import { createTableReader } from '../../src/dns/table-reader.js';
import { WeightedResolver } from '../../src/dns/weighted-resolver.js';
import { DBFLEET_PASSWORD, startMydns, ZONE, type MydnsFixture } from './dns-fixture.js';

/** The weighted resolver and the following pool, reading a real MyDNS database. */
let db: MydnsFixture;
let app: MydnsFixture;
let session: SqlSession;
const who = { actor: 'test', why: 'dns-resolver test' };

beforeAll(async () => {
  [db, app] = await Promise.all([startMydns('dnsres'), startMydns('dnsapp', { init: false })]);
  session = await db.session();
  await registerCluster(session, ZONE, { writerName: 'pool-w', readerName: 'pool-r', writer: '127.0.30.1', readers: ['127.0.30.2', '127.0.30.3', '127.0.30.4'] }, who);
  // readers at 10 : 30 : 60, the writer's entry at 0
  await applyChangeSet(
    session,
    ZONE,
    [
      { op: 'set-weight', name: 'pool-r', address: '127.0.30.2', expect: { weight: 100 }, weight: 10 },
      { op: 'set-weight', name: 'pool-r', address: '127.0.30.3', expect: { weight: 100 }, weight: 30 },
      { op: 'set-weight', name: 'pool-r', address: '127.0.30.4', expect: { weight: 100 }, weight: 60 },
    ],
    who,
  );
});

afterAll(async () => {
  await session?.close();
  await db?.stop();
  await app?.stop();
});

function resolverFor(f: MydnsFixture, staleForMs = 60_000): WeightedResolver {
  return new WeightedResolver({ source: createTableReader({ connect: () => f.session(), zone: ZONE, timeoutMs: 1_000 }), staleForMs, retryAfterMs: 200 });
}

describe('weighted resolver over the MyDNS tables', () => {
  it('picks follow the weights (10:30:60, writer entry 0): each share within 0.03 of its weight over 6000 picks', async () => {
    const resolver = resolverFor(db);
    const n = 6000;
    const counts: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await resolver.resolve('pool-r');
      counts[r.address] = (counts[r.address] ?? 0) + 1;
    }
    // the bound is generous: 0.03 is more than 4.5 standard deviations for every share here
    expect(Object.keys(counts).sort()).toEqual(['127.0.30.2', '127.0.30.3', '127.0.30.4']);
    expect(Math.abs((counts['127.0.30.2'] ?? 0) / n - 0.1)).toBeLessThan(0.03);
    expect(Math.abs((counts['127.0.30.3'] ?? 0) / n - 0.3)).toBeLessThan(0.03);
    expect(Math.abs((counts['127.0.30.4'] ?? 0) / n - 0.6)).toBeLessThan(0.03);
    await resolver.close();
  });

  it('sees a drain once the TTL (1 s) has passed, and not before', async () => {
    const resolver = resolverFor(db);
    await resolver.resolve('pool-r');
    await setWeight(session, ZONE, 'pool-r', '127.0.30.4', 60, 0, who);
    const cached = await resolver.lookup('pool-r');
    expect(cached.entries.map((e) => e.address)).toContain('127.0.30.4');
    await new Promise((r) => setTimeout(r, 1_050));
    const fresh = await resolver.lookup('pool-r');
    expect(fresh.entries.map((e) => e.address)).toEqual(['127.0.30.2', '127.0.30.3']);
    for (let i = 0; i < 200; i++) expect((await resolver.resolve('pool-r')).address).not.toBe('127.0.30.4');
    await setWeight(session, ZONE, 'pool-r', '127.0.30.4', 0, 60, who);
    await resolver.close();
  });

  it('keeps answering from its last good state while the DNS database is stopped, says so, and fails clearly past the bound', async () => {
    const resolver = resolverFor(db, 2_000);
    expect(await resolver.resolve('pool-w')).toMatchObject({ address: '127.0.30.1', stale: false });
    await resolver.resolve('pool-r');
    await db.stopDb();
    try {
      await new Promise((r) => setTimeout(r, 1_100)); // past the TTL: the next resolve must read the database
      const during = await resolver.resolve('pool-w');
      expect(during).toMatchObject({ address: '127.0.30.1', stale: true });
      expect(during.error?.code).toMatch(/MYSQL_CONNECT|MYSQL_CONNECTION_LOST|MYSQL_SESSION_CLOSED|TIMEOUT/);
      const picks = await Promise.all(Array.from({ length: 50 }, () => resolver.resolve('pool-r')));
      expect(picks.every((p) => p.stale && p.address !== '127.0.30.1')).toBe(true);
      await new Promise((r) => setTimeout(r, 2_100)); // past TTL + the 2 s stale bound
      await expect(resolver.resolve('pool-w')).rejects.toMatchObject({ code: 'DNS_UNAVAILABLE', message: expect.stringMatching(/cannot resolve pool-w: the MyDNS database failed .* past its TTL plus the 2 s stale bound/) });
    } finally {
      await db.startDb();
      // the test's own session died with the server
      session.destroy();
      session = await db.session();
    }
    await new Promise((r) => setTimeout(r, 250)); // past retryAfterMs
    expect(await resolver.resolve('pool-w')).toMatchObject({ address: '127.0.30.1', stale: false, error: undefined });
    await resolver.close();
  }, 30_000);
});

describe('a pool whose connections follow the writer name', () => {
  it('closes idle connections to the demoted writer and connects new ones to the new writer', async () => {
    await registerCluster(session, ZONE, { writerName: 'app-w', readerName: 'app-r', writer: db.address, readers: [app.address] }, who);
    const resolver = resolverFor(db);
    const pool = createFollowingPool({ resolver, name: 'app-w', user: 'dbfleet', password: DBFLEET_PASSWORD, connectionLimit: 4 });
    try {
      const serverId = async (): Promise<number> => Number((await pool.query<{ id: number }[]>('SELECT @@server_id AS id'))[0]?.id);
      expect(await serverId()).toBe(53);
      const busy = await pool.getConnection();
      const second = await pool.getConnection();
      expect([busy.address, second.address]).toEqual([db.address, db.address]);
      second.release();
      expect(pool.stats()).toEqual({ [db.address]: { idle: 1, busy: 1 } });

      await replaceWriter(session, ZONE, 'app-w', db.address, app.address, { actor: 'test', why: 'failover' });
      await new Promise((r) => setTimeout(r, 1_050)); // the record's TTL
      const moved = await pool.getConnection();
      expect(moved.address).toBe(app.address);
      // the idle connection to the old writer is gone; the busy one closes when released
      expect(pool.stats()).toEqual({ [db.address]: { idle: 0, busy: 1 }, [app.address]: { idle: 0, busy: 1 } });
      busy.release();
      moved.release();
      expect(pool.stats()).toEqual({ [app.address]: { idle: 1, busy: 0 } });
      const [rows] = await moved.connection.query('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
      await resolver.close();
    }
  });
});
