/**
 * Aurora's second vantage point (information_schema.replica_host_status) read the way the checker
 * reads it, on a real server whose time_zone is not UTC. Aurora stores LAST_UPDATE_TIMESTAMP in
 * UTC; the age was computed against NOW(6), so on a server (or session) in +09:00 every row was
 * nine hours old and the writer was never confirmed. Aurora cannot run here: the table is one
 * shaped like Aurora's (its four columns the checker reads), stamped in UTC as Aurora stamps it, on
 * each engine of TEST_ENGINES, and read through the real query, the real session and the real
 * InstanceProber. These tests failed with NOW(6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, Flavor, MysqlAdmin, Timeouts } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { InstanceProber } from '../../src/failover/probe/instance-prober.js';
import { parseReplicaHostStatus, replicaHostStatusSql, writerFromReplicaHostStatus } from '../../src/failover/topology/replica-host-status.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { TEST_ENGINES } from '../support/engines.js';
import { ServerFixture, type TestServer } from './mysql-fixture.js';

const TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 };
const TABLE = 'aurora_like.replica_host_status';
/** The checker's freshness bound on replica_host_status rows (instance-prober.ts). */
const MAX_AGE_MS = 5_000;

describe.each(TEST_ENGINES)('replica_host_status ages on a server outside UTC (%s)', (engine: EngineKind) => {
  let fixture: ServerFixture;
  let server: TestServer;

  beforeAll(async () => {
    fixture = await ServerFixture.create(engine);
    // the server's own time zone is Tokyo's: NOW() is UTC + 9 h in every session by default
    server = await fixture.start('tokyo', 21, ["default-time-zone='+09:00'"]);
    await server.rootSession([
      'CREATE DATABASE aurora_like',
      `CREATE TABLE ${TABLE} (SERVER_ID VARCHAR(100) NOT NULL, SESSION_ID VARCHAR(100) NOT NULL, REPLICA_LAG_IN_MILLISECONDS DOUBLE, LAST_UPDATE_TIMESTAMP DATETIME(6) NOT NULL, stamped_us_ago BIGINT NOT NULL)`,
      `INSERT INTO ${TABLE} VALUES
        ('aurora-prod-01-instance-2', 'MASTER_SESSION_ID', 0, UTC_TIMESTAMP(6), 200000),
        ('aurora-prod-01-instance-3', '5c8e7f2a-4b1d-4e3f-9a6b-0c1d2e3f4a5b', 17.5, UTC_TIMESTAMP(6), 1500000),
        ('aurora-prod-01-instance-1', 'MASTER_SESSION_ID', 0, UTC_TIMESTAMP(6), 60000000)`,
    ]);
  }, 120_000);

  /**
   * Aurora's rows as it stamps them, in UTC: the writer 200 ms ago, a reader 1.5 s ago, and the
   * old writer's row, 60 s stale. Re-stamped by each test, so "fresh" does not depend on how long
   * the tests before it took.
   */
  const stamp = (): Promise<unknown> => server.root(`UPDATE ${TABLE} SET LAST_UPDATE_TIMESTAMP = UTC_TIMESTAMP(6) - INTERVAL stamped_us_ago MICROSECOND`);

  afterAll(async () => {
    await fixture?.destroy();
  });

  it('the server really is outside UTC (so NOW(6) and UTC_TIMESTAMP(6) differ by 9 h)', async () => {
    const [row] = await server.root('SELECT @@time_zone AS tz, TIMESTAMPDIFF(MINUTE, UTC_TIMESTAMP(6), NOW(6)) AS offset_min');
    expect(row).toEqual({ tz: '+09:00', offset_min: 540 });
  });

  it.each([
    ["the server's time zone (+09:00)", undefined],
    ['a session time zone west of UTC (-05:00)', "SET time_zone = '-05:00'"],
    ['a session in UTC', "SET time_zone = '+00:00'"],
  ])('ages are the rows\' real ages in %s, and the fresh writer is named', async (_name, setTimeZone) => {
    const session = await openSession(server.endpoint(), TIMEOUTS);
    try {
      if (setTimeZone) await session.query(setTimeZone);
      await stamp();
      const statuses = parseReplicaHostStatus(await session.query(replicaHostStatusSql(TABLE)));
      expect(writerFromReplicaHostStatus(statuses, MAX_AGE_MS)).toEqual({ writer: 'aurora-prod-01-instance-2', ambiguous: false, candidates: ['aurora-prod-01-instance-2'] });
      const age = Object.fromEntries(statuses.map((s) => [s.serverId, s.ageMs ?? Number.NaN]));
      // stamped 0.2 s, 1.5 s and 60 s before this test read them
      expect(age['aurora-prod-01-instance-2']).toBeGreaterThanOrEqual(200);
      expect(age['aurora-prod-01-instance-2']).toBeLessThan(200 + 60_000);
      expect(age['aurora-prod-01-instance-3']).toBeGreaterThanOrEqual(1_500);
      expect(age['aurora-prod-01-instance-1']).toBeGreaterThanOrEqual(60_000);
      // one query, one UTC_TIMESTAMP(6): the rows are 59.8 s apart, to the rounding of each age
      expect(Math.abs(age['aurora-prod-01-instance-1']! - age['aurora-prod-01-instance-2']! - 59_800)).toBeLessThanOrEqual(1);
      // the timestamp itself is read as UTC, as stored
      const [utc] = await session.query("SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') AS now");
      const writer = statuses.find((s) => s.serverId === 'aurora-prod-01-instance-2');
      expect(Date.parse(`${String(utc?.['now']).replace(' ', 'T')}Z`) - (writer?.lastUpdate ?? 0)).toBeGreaterThanOrEqual(200);
    } finally {
      await session.close();
    }
  });

  it('the prober confirms the new writer from this vantage point (the stale old-writer row is ignored)', async () => {
    await stamp();
    const prober = new InstanceProber(
      {
        instanceId: 'aurora-prod-01-instance-3',
        endpoint: server.endpoint(),
        // the probe reads replica_host_status on Aurora only; the server is a MySQL/MariaDB stand-in,
        // so its real flavour is not checked against the hint (below)
        flavor: 'aurora-mysql',
        timeouts: TIMEOUTS,
        newConnectionEvery: 1_000,
        replicaHostStatusTable: TABLE,
      },
      {
        connectAdmin: (endpoint: Endpoint, timeouts: Timeouts, _o: { flavorHint?: Flavor }): Promise<MysqlAdmin> => connectAdmin(endpoint, timeouts),
        openSession,
      },
    );
    try {
      prober.wantWriterView = true;
      const r = await prober.probe();
      expect(r).toMatchObject({ ok: true, role: 'writer' });
      expect(r.auroraWriterView).toEqual({ reporterId: 'aurora-prod-01-instance-3', writerServerId: 'aurora-prod-01-instance-2' });
      // and what the view is built from, as the prober's decision sees it
      const s = await openSession(server.endpoint(), TIMEOUTS);
      try {
        const view = writerFromReplicaHostStatus(parseReplicaHostStatus(await s.query(replicaHostStatusSql(TABLE))), MAX_AGE_MS);
        expect(view).toEqual({ writer: 'aurora-prod-01-instance-2', ambiguous: false, candidates: ['aurora-prod-01-instance-2'] });
      } finally {
        await s.close();
      }
    } finally {
      await prober.close();
    }
  });
});
