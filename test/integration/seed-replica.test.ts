import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local-host.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';
import { seedFromReplica } from '../../src/shard/seed/seed-from-replica.js';
import { attachAndCatchUp } from '../../src/shard/seed/attach-replica.js';
import { compareReplicas } from '../../src/shard/verify/checksum-compare.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';

// Consolidation phases provision -> seed -> catch up, on real mariadbd: a sandbox cluster is the
// shard; a new mysqld on its own loopback address is the process on the consolidated host.
let fx: SandboxFixture;
let spec: MysqldSpec;
const host = new LocalHost();
const manager = new MysqldManager(host);

beforeAll(async () => {
  fx = await SandboxFixture.up(1, 2);
  const slot = (await fx.state()).slot;
  spec = { name: 'shard-1-new', baseDir: join(fx.dir, 'extra'), bindAddress: `127.${slot}.1.9`, port: 3306, serverId: 199, bufferPoolMb: 16, readOnly: true, runAsRoot: process.getuid?.() === 0 };
}, 60_000);

afterAll(async () => {
  await manager.stop(spec, { graceMs: 5_000 }).catch(() => undefined);
  await fx?.down();
});

describe('seeding a new mysqld from a replica and catching up with the master', () => {
  it('copies the data with its position, replicates from the master, and ends identical, with writes running throughout', async () => {
    const state = await fx.state();
    const [master, , source] = state.clusters[0]!.instances;
    // a writer on the master for the whole test
    const w = await openSession({ host: master!.host, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    let seq = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await w.execute('INSERT INTO writes (client, seq) VALUES (?, ?)', ['seed-test', ++seq]);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 200));
      // more than 64 KB of dump: MariaDB writes the dump's GTID position after the data
      await w.execute(`INSERT INTO writes (client, seq) SELECT 'bulk', seq FROM seq_1_to_3000`);
      await manager.initDatadirFromTemplate(spec, join(fx.dir, 'template', 'data'));
      await manager.start(spec);
      const seeded = await seedFromReplica(host, {
        source: { host: source!.host, port: 3306 },
        targetSocket: manager.paths(spec).socket,
        account: { user: 'dbfleet', password: fx.passwords.dbfleet },
        workDir: join(fx.dir, 'extra', 'work'),
      });
      expect(seeded.databases).toContain('app');
      expect(seeded.gtid).toMatch(/^0-\d+-\d+$/);
      expect(seeded.dumpBytes).toBeGreaterThan(64 * 1024);
      const progress: unknown[] = [];
      await attachAndCatchUp(connectAdmin, {
        target: { host: spec.bindAddress, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet },
        master: { host: master!.host, port: 3306 },
        repl: { user: 'repl', password: fx.passwords.repl },
        startGtid: seeded.gtid,
        catchUpTimeoutMs: 30_000,
        onProgress: (p) => progress.push(p),
      });
    } finally {
      writing = false;
      await writer;
      await w.close();
    }
    // after the writer stops: the new replica applies the rest and matches the master exactly
    const m = await connectAdmin({ host: master!.host, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
    const n = await connectAdmin({ host: spec.bindAddress, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
    try {
      await n.waitForGtid((await m.binlogPosition()).gtidSet ?? '', 30_000);
      const checksum = async (a: typeof m): Promise<string> => String((await a.session.query('CHECKSUM TABLE app.writes'))[0]?.['Checksum']);
      expect(await checksum(n)).toBe(await checksum(m));
      const rows = Number((await n.session.query("SELECT COUNT(*) AS c FROM app.writes WHERE client = 'seed-test'"))[0]?.['c']);
      expect(rows).toBe(seq);
      expect(await n.role()).toBe('reader');
      const rs = await n.replicaStatus();
      expect(rs).toMatchObject({ sourceHost: master!.host, ioRunning: 'yes', sqlRunning: true });
    } finally {
      await Promise.all([m.close(), n.close()]);
    }
  });
});

describe('comparing two replicas at the same position', () => {
  // x: a current replica of the shard (the reference, serving reads); y: the new copy seeded above
  type Admin = import('../../src/mysql/admin.js').MysqlAdmin;
  let m: Admin, x: Admin, y: Admin;
  let writing = true;
  let writer: Promise<void> = Promise.resolve();
  let w: Awaited<ReturnType<typeof openSession>> | undefined;
  /** How many STOP SLAVE statements a server has run (MariaDB's Com_stop_slave). */
  const stops = async (a: Admin): Promise<number> => Number((await a.session.query("SHOW GLOBAL STATUS LIKE 'Com_stop_slave'"))[0]?.['Value']);
  const running = async (a: Admin): Promise<boolean> => {
    const st = await a.replicaStatus();
    return st?.ioRunning === 'yes' && st.sqlRunning;
  };

  beforeAll(async () => {
    const state = await fx.state();
    const [master, a] = state.clusters[0]!.instances;
    const admin = (h: string): Promise<Admin> => connectAdmin({ host: h, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
    [m, x, y] = await Promise.all([admin(master!.host), admin(a!.host), admin(spec.bindAddress)]);
    // the master keeps writing throughout both tests
    w = await openSession({ host: master!.host, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    let seq = 1_000_000;
    const session = w;
    writer = (async () => {
      while (writing) {
        await session.execute('INSERT INTO writes (client, seq) VALUES (?, ?)', ['verify', ++seq]);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
  });

  afterAll(async () => {
    writing = false;
    await writer;
    await w?.close();
    await Promise.all([m, x, y].map((a) => a?.close()));
  });

  it('by default reads the reference in a consistent snapshot while it keeps replicating: equal while the master writes, and names the table once one drifts', async () => {
    const before = { x: await stops(x), y: await stops(y) };
    const same = await compareReplicas(m, x, y);
    expect(same.mode).toBe('snapshot');
    expect(same.equal, JSON.stringify(same)).toBe(true);
    expect(same.tables.map((t) => t.table)).toContain('app.writes');
    expect(same.position).toMatch(/^0-\d+-\d+$/);
    // the reference never stopped; only the new copy did (and runs again)
    expect(await stops(x)).toBe(before.x);
    expect(await stops(y)).toBeGreaterThan(before.y);
    expect(await running(x)).toBe(true);
    await eventually('the new copy replicating again', () => running(y));
    // drift: a row only on the new copy (as a bad seed would leave), an id far from the master's
    await y.session.query('SET SESSION sql_log_bin = 0');
    await y.session.query("INSERT INTO app.writes (id, client, seq) VALUES (999999999, 'drift', 1)");
    const told: string[] = [];
    const drifted = await compareReplicas(m, x, y, { onReferenceStopped: (why) => told.push(why) });
    expect(drifted.equal).toBe(false);
    expect(drifted.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['app.writes']);
    // the difference is confirmed with both stopped at one position before it counts
    expect(drifted.rechecked?.tables).toEqual(['app.writes']);
    expect(told).toEqual([expect.stringMatching(/^app\.writes differed in the snapshot at 0-\d+-\d+: comparing it again with both stopped$/)]);
    expect(await stops(x)).toBe(before.x + 1);
  });

  it('a table made on the master while the reference is read in its snapshot is no false refusal: it differs in the snapshot, and is equal once both are stopped at one position', async () => {
    const before = await stops(x);
    await y.session.query('SET SESSION sql_log_bin = 0');
    await y.session.query("DELETE FROM app.writes WHERE id = 999999999 AND client = 'drift'");
    const report = await compareReplicas(m, x, y, {
      atPosition: async () => {
        // both stand at the position; the reference keeps replicating and soon lists the new table
        await m.session.query('CREATE TABLE app.made_during_verify (id INT PRIMARY KEY) ENGINE=InnoDB');
        await m.session.query('INSERT INTO app.made_during_verify VALUES (1), (2)');
        await eventually('the reference has the new table', async () => (await x.session.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'app' AND table_name = 'made_during_verify'"))[0]?.['n'] === 1);
      },
    });
    expect(report.rechecked?.tables).toEqual(['app.made_during_verify']);
    expect(report.equal, JSON.stringify(report)).toBe(true);
    expect(report.tables.find((t) => t.table === 'app.made_during_verify')?.a).not.toBeNull();
    expect(await stops(x)).toBe(before + 1);
    await eventually('both replicating again', async () => (await running(x)) && (await running(y)));
  });

  it('refuses at once, naming it, a reference that does not replicate', async () => {
    await x.session.query('STOP SLAVE SQL_THREAD');
    try {
      await expect(compareReplicas(m, x, y)).rejects.toThrow(/the reference replica .* does not replicate \(io=yes sql=no\)/);
    } finally {
      await x.session.query('START SLAVE SQL_THREAD');
    }
  });

  it('stop-both (the fallback for a reference whose gtid_slave_pos is not InnoDB) stops both, finds drift, and equal once it is removed', async () => {
    const before = await stops(x);
    await y.session.query('SET SESSION sql_log_bin = 0');
    await y.session.query("INSERT IGNORE INTO app.writes (id, client, seq) VALUES (999999999, 'drift', 1)");
    const drifted = await compareReplicas(m, x, y, { mode: 'stop-both' });
    expect(drifted.mode).toBe('stop-both');
    expect(drifted.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['app.writes']);
    expect(await stops(x)).toBeGreaterThan(before);
    await y.session.query('SET SESSION sql_log_bin = 0');
    await y.session.query("DELETE FROM app.writes WHERE id = 999999999 AND client = 'drift'");
    const same = await compareReplicas(m, x, y, { mode: 'stop-both' });
    expect(same.equal, JSON.stringify(same)).toBe(true);
    for (const r of [x, y]) await eventually('replication running again', () => running(r));
  });
});
