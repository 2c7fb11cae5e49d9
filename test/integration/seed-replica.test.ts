import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local-host.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';
import { seedFromReplica } from '../../src/shard/seed/seed-from-replica.js';
import { attachAndCatchUp } from '../../src/shard/seed/attach-replica.js';
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
  it('finds them equal while the master keeps writing, and names the table once one drifts', async () => {
    const { compareReplicas } = await import('../../src/shard/verify/checksum-compare.js');
    const state = await fx.state();
    const [master, a] = state.clusters[0]!.instances;
    const admin = (h: string): Promise<import('../../src/mysql/admin.js').MysqlAdmin> => connectAdmin({ host: h, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
    const [m, x, y] = await Promise.all([admin(master!.host), admin(a!.host), admin(spec.bindAddress)]);
    const w = await openSession({ host: master!.host, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    let writing = true;
    let seq = 1_000_000;
    const writer = (async () => {
      while (writing) {
        await w.execute('INSERT INTO writes (client, seq) VALUES (?, ?)', ['verify', ++seq]);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      const same = await compareReplicas(m, x, y);
      expect(same.equal, JSON.stringify(same)).toBe(true);
      expect(same.tables.map((t) => t.table)).toContain('app.writes');
      // drift: a row only on the new replica (as a bad seed would leave)
      await y.session.query('SET SESSION sql_log_bin = 0');
      // an id far from the master's, so replication itself is not broken by it
      await y.session.query("INSERT INTO app.writes (id, client, seq) VALUES (999999999, 'drift', 1)");
      const drifted = await compareReplicas(m, x, y);
      expect(drifted.equal).toBe(false);
      expect(drifted.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['app.writes']);
      // replication resumed on both afterwards
      for (const r of [x, y]) {
        await eventually('replication running again', async () => {
          const st = await r.replicaStatus();
          return st?.ioRunning === 'yes' && st.sqlRunning;
        });
      }
    } finally {
      writing = false;
      await writer;
      await w.close();
      await Promise.all([m.close(), x.close(), y.close()]);
    }
  });
});
