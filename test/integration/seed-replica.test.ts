import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import { LocalHost } from '../../src/host/local-host.js';
import type { MysqlAdmin, SqlSession } from '../../src/mysql/admin.js';
import { isDbfleetError } from '../../src/core/errors.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';
import { rootClientFor, seedFromReplica, type SeedResult } from '../../src/shard/seed/seed-from-replica.js';
import { seedByDump } from '../../src/shard/seed/seed-by-dump.js';
import { attachAndCatchUp } from '../../src/shard/seed/attach-replica.js';
import { compareReplicas, type ChecksumReport, type CompareOptions } from '../../src/shard/verify/checksum-compare.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { TEST_ENGINES, testEngine } from '../support/engines.js';
import { replicationSql } from '../support/replication-sql.js';

// Consolidation phases provision -> seed -> catch up -> verify, on real servers (MariaDB 10.11
// and MySQL 9.7): a sandbox cluster is the shard; a new mysqld on its own loopback address is the
// process on the consolidated host. The master takes writes the whole time.

const DIGITS = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
/** 3000 rows in one statement, spelled alike on both engines (no SEQUENCE engine, no recursion limit). */
const BULK = `INSERT INTO writes (client, seq) SELECT 'bulk', a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 1 FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2) e`;

/**
 * `a` as verify holds it, whose connection drops (as a dying server or network drops it) when it
 * is sent the first statement `at` matches: that statement and every later one on it fail with
 * the session's own error.
 */
function droppingAt(a: MysqlAdmin, at: RegExp): MysqlAdmin {
  let dropped = false;
  const session: SqlSession = {
    query: (q, p, o) => {
      if (!dropped && at.test(q)) {
        dropped = true;
        a.session.destroy();
      }
      return a.session.query(q, p, o);
    },
    execute: (q, p, o) => a.session.execute(q, p, o),
    close: () => a.session.close(),
    destroy: () => a.session.destroy(),
    get threadId() {
      return a.session.threadId;
    },
  };
  return new Proxy(a, { get: (t, k, r) => (k === 'session' ? session : Reflect.get(t, k, r)) });
}

describe.each(TEST_ENGINES)('seeding and verifying a new copy (%s)', (engine) => {
  let fx: SandboxFixture;
  const host = new LocalHost();
  const manager = new MysqldManager(host);
  const started: MysqldSpec[] = [];
  const sql = replicationSql(engine);
  let template: string;

  const routines = async (a: MysqlAdmin): Promise<string[]> => (await a.session.query("SELECT routine_name AS r FROM information_schema.routines WHERE routine_schema = 'app'")).map((r) => String(r['r']));
  const admin = (h: string, user = 'dbfleet', password?: string): Promise<MysqlAdmin> => connectAdmin({ host: h, port: 3306, user, password: password ?? fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
  /** compareReplicas as verify calls it: fresh connections (the reference's applier pause, restarts) by the admin account. */
  const compare = (m: MysqlAdmin, a: MysqlAdmin, b: MysqlAdmin, o: Partial<CompareOptions> = {}): Promise<ChecksumReport> => compareReplicas(m, a, b, { reconnect: (x) => admin(x.endpoint.host), ...o });

  /** A new, empty mysqld as provision makes it: a copy of a template datadir (root by socket only), read-only. */
  async function newCopy(name: string, last: number, serverId: number): Promise<MysqldSpec> {
    const slot = (await fx.state()).slot;
    const spec: MysqldSpec = { name, baseDir: join(fx.dir, 'extra'), bindAddress: `127.${slot}.1.${last}`, port: 3306, serverId, bufferPoolMb: 16, readOnly: true, runAsRoot: process.getuid?.() === 0, engine: testEngine(engine) };
    await manager.initDatadirFromTemplate(spec, template);
    started.push(spec);
    await manager.start(spec);
    return spec;
  }

  /** Seeds `spec` from the source replica, attaches it to the master, and waits until it caught up, a writer running throughout. */
  async function seedAndCatchUp(spec: MysqldSpec, account: { user: string; password: string }, client: string): Promise<{ seeded: SeedResult; written: number }> {
    const [master, , source] = (await fx.state()).clusters[0]!.instances;
    const w = await openSession({ host: master!.host, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    let seq = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        await w.execute('INSERT INTO writes (client, seq) VALUES (?, ?)', [client, ++seq]);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let seeded: SeedResult;
    try {
      await new Promise((r) => setTimeout(r, 200));
      seeded = await seedFromReplica({
        source: { host: source!.host, port: 3306 },
        target: { host, manager, spec },
        account,
        workDir: join(fx.dir, 'extra', `work-${spec.name}`),
        connect: connectAdmin,
      });
      await attachAndCatchUp(connectAdmin, {
        target: { host: spec.bindAddress, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet },
        master: { host: master!.host, port: 3306 },
        repl: { user: 'repl', password: fx.passwords.repl },
        startGtid: seeded.gtid,
        catchUpTimeoutMs: 30_000,
      });
    } finally {
      writing = false;
      await writer;
      await w.close();
    }
    // after the writer stops: the new replica applies the rest and matches the master exactly
    const m = await admin(master!.host);
    const n = await admin(spec.bindAddress);
    try {
      await n.waitForGtid((await m.binlogPosition()).gtidSet ?? '', 30_000);
      const checksum = async (a: MysqlAdmin): Promise<string> => String((await a.session.query('CHECKSUM TABLE app.writes'))[0]?.['Checksum']);
      expect(await checksum(n)).toBe(await checksum(m));
      expect(Number((await n.session.query('SELECT COUNT(*) AS c FROM app.writes WHERE client = ?', [client]))[0]?.['c'])).toBe(seq);
      expect(await n.role()).toBe('reader');
      expect(await n.replicaStatus()).toMatchObject({ sourceHost: master!.host, ioRunning: 'yes', sqlRunning: true });
    } finally {
      await Promise.all([m.close(), n.close()]);
    }
    return { seeded, written: seq };
  }

  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 2, silentLogger, { engine });
    // a template datadir as provision makes one per host: system tables, root by socket, nothing else
    const tpl: MysqldSpec = { name: 'template-new', baseDir: join(fx.dir, 'extra'), bindAddress: `127.${(await fx.state()).slot}.1.250`, port: 3306, serverId: 1, bufferPoolMb: 16, readOnly: true, runAsRoot: process.getuid?.() === 0, engine: testEngine(engine) };
    template = (await manager.createTemplate(tpl, '')).dataDir;
  }, 120_000);

  afterAll(async () => {
    for (const s of started) await manager.kill(s).catch(() => undefined);
    await fx?.down();
  });

  let y: MysqldSpec;

  it(`compares the replicas of a shard that has had no transaction yet (${engine === 'mysql' ? 'equal at the empty GTID set' : 'refused: no position'})`, async () => {
    const [master, a, b] = (await fx.state()).clusters[0]!.instances;
    const [m, x, z] = await Promise.all([admin(master!.host), admin(a!.host), admin(b!.host)]);
    try {
      if (engine === 'mysql') {
        // read with the applier paused, an empty @@gtid_executed is an exact position: nothing was ever committed
        const report = await compare(m, x, z);
        expect(report).toMatchObject({ mode: 'snapshot', position: '', equal: true });
        expect(report.tables.map((t) => t.table)).toContain('app.writes');
      } else {
        // MariaDB's empty gtid_slave_pos says only that nothing was replicated since it was cleared
        await expect(compare(m, x, z)).rejects.toThrow(/shows no applied GTID in its snapshot: no position to compare at/);
      }
      for (const r of [x, z]) await eventually('replicating again', async () => (await r.replicaStatus())?.sqlRunning === true);
    } finally {
      await Promise.all([m.close(), x.close(), z.close()]);
    }
    // what a shard holds besides rows, for the seeds below: a routine; and more than 64 KB of dump
    // (MariaDB writes a dump's GTID position after the data)
    const w = await admin(master!.host);
    try {
      await w.session.query('CREATE PROCEDURE app.answer() SELECT 42 AS answer');
      await w.session.query(BULK.replace('INSERT INTO writes', 'INSERT INTO app.writes'));
    } finally {
      await w.close();
    }
  });

  it(`copies the data with its position (${engine === 'mysql' ? 'CLONE' : 'logical dump'}), replicates from the master, and ends identical, with writes running throughout`, async () => {
    y = await newCopy('shard-1-new', 9, 199);
    const source = (await fx.state()).clusters[0]!.instances[2]!;
    // MySQL: the donor's root@localhost has a password of its own, which the clone would bring along
    const donorRoot = async (password: string): Promise<void> => {
      const a = await admin(source.host);
      try {
        for (const q of sql.unloggedWrite(`ALTER USER 'root'@'localhost' IDENTIFIED BY '${password}'`)) await a.session.query(q);
      } finally {
        await a.close();
      }
    };
    if (engine === 'mysql') await donorRoot('Donor-root-pw-1');
    let seeded: SeedResult;
    try {
      ({ seeded } = await seedAndCatchUp(y, { user: 'dbfleet', password: fx.passwords.dbfleet }, 'seed-test'));
    } finally {
      if (engine === 'mysql') await donorRoot('');
    }
    expect(seeded.databases).toContain('app');
    if (engine === 'mysql') {
      expect(seeded.method).toBe('clone');
      expect(seeded.why).toMatch(/clone plugin active.*BACKUP_ADMIN on the donor/);
      expect(seeded.gtid).toMatch(/^[0-9a-f-]{36}:1-\d+$/);
      expect(seeded.accounts).toEqual([]); // the clone brought every account itself
    } else {
      expect(seeded.method).toBe('dump');
      expect(seeded.why).toMatch(/no CLONE: .*mariadb/);
      expect(seeded.gtid).toMatch(/^0-\d+-\d+$/);
      expect(seeded.dumpBytes).toBeGreaterThan(64 * 1024);
      expect(seeded.accounts).toEqual(expect.arrayContaining(['app@%', 'dbfleet@%', 'repl@%']));
    }
    // what the copy holds besides rows: the routine, the accounts; its own identity; root by socket
    // as on every new copy (after a clone too, whatever the donor's root was)
    const n = await admin(y.bindAddress);
    const s = await admin(source.host);
    try {
      expect(await routines(n)).toEqual(['answer']);
      const app = await connectAdmin({ host: y.bindAddress, port: 3306, user: 'app', password: fx.passwords.app, database: 'app' }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
      await app.close();
      const id = async (a: MysqlAdmin): Promise<Record<string, unknown>> => (await a.session.query(`SELECT @@server_id AS sid${engine === 'mysql' ? ', @@server_uuid AS uuid' : ''}`))[0] ?? {};
      const [mine, theirs] = [await id(n), await id(s)];
      expect(Number(mine['sid'])).toBe(199);
      if (engine === 'mysql') expect(mine['uuid']).not.toBe(theirs['uuid']);
    } finally {
      await Promise.all([n.close(), s.close()]);
    }
    expect((await rootClientFor(host, y).query('SELECT 1 AS one'))[0]).toEqual({ one: '1' });
    if (engine === 'mysql') {
      // the clone brought the donor's accounts; root@localhost is again the template's: the socket
      // peer's OS user (auth_socket), no password anyone reaching the socket could use
      const user = (await host.check('id', ['-un'], { timeoutMs: 5_000 })).stdout.trim();
      expect(await rootClientFor(host, y).query("SELECT plugin, authentication_string AS os_user FROM mysql.user WHERE user = 'root' AND host = 'localhost'")).toEqual([{ plugin: 'auth_socket', os_user: user }]);
    }
  });

  if (engine === 'mysql') it('falls back to a logical dump (mysqldump --set-gtid-purged) when CLONE is not permitted, saying why, and ends identical', async () => {
    // an account that may read and dump everything, but has no BACKUP_ADMIN on the donor
    const [master] = (await fx.state()).clusters[0]!.instances;
    const password = 'Seeder-pw-1';
    const m = await admin(master!.host);
    try {
      await m.session.query(`CREATE USER 'seeder'@'%' IDENTIFIED BY '${password}'`);
      await m.session.query("GRANT SELECT, RELOAD, PROCESS, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, REPLICATION CLIENT ON *.* TO 'seeder'@'%'");
    } finally {
      await m.close();
    }
    const z = await newCopy('shard-1-dumped', 10, 198);
    const { seeded } = await seedAndCatchUp(z, { user: 'seeder', password }, 'seed-dump');
    expect(seeded.method).toBe('dump');
    expect(seeded.why).toBe("no CLONE: seeder@% has no BACKUP_ADMIN on the donor " + (await fx.state()).clusters[0]!.instances[2]!.host);
    expect(seeded.gtid).toMatch(/^[0-9a-f-]{36}:1-\d+$/);
    expect(seeded.accounts).toEqual(expect.arrayContaining(['app@%', 'dbfleet@%', 'repl@%', 'seeder@%']));
    const n = await admin(z.bindAddress);
    try {
      expect(await routines(n)).toEqual(['answer']);
    } finally {
      await n.close();
    }
    await manager.kill(z);
  });

  // A dump's consistent read must not cost the source's readers: a FLUSH TABLES that waits for a
  // long query makes every new query on its tables wait until that query ends (on MySQL even after
  // the flush gave up at its lock_wait_timeout).
  describe("a long query on the dump's source", () => {
    let longer: MysqlAdmin, reader: MysqlAdmin, watcher: MysqlAdmin;
    let long: Promise<unknown>;
    let longDone = false;
    let source: string;
    beforeAll(async () => {
      const [master, , s] = (await fx.state()).clusters[0]!.instances;
      source = s!.host;
      [longer, reader, watcher] = await Promise.all([admin(source), admin(source), admin(source)]);
      // a table of its own with one row, so the long query holds it whatever ran before
      const m = await admin(master!.host);
      try {
        await m.session.query('CREATE TABLE IF NOT EXISTS app.dump_probe (id INT PRIMARY KEY) ENGINE=InnoDB');
        await m.session.query('INSERT IGNORE INTO app.dump_probe VALUES (1)');
        await watcher.waitForGtid((await m.binlogPosition()).gtidSet ?? '', 30_000);
      } finally {
        await m.close();
      }
      long = longer.session.query('SELECT SLEEP(30) FROM app.dump_probe', [], { timeoutMs: 60_000 }).catch(() => undefined);
      void long.then(() => (longDone = true));
      // running for a second and more: what the dump's precheck looks for
      await eventually('the long query runs', async () => Number((await watcher.session.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(30)%' AND time >= 1"))[0]?.['n']) === 1);
    });
    afterAll(async () => {
      await watcher?.session.query(`KILL QUERY ${longer.session.threadId}`).catch(() => undefined);
      await long;
      await Promise.all([longer, reader, watcher].map((a) => a?.close()));
    });
    /** After each case: the long query still runs, no session of the source waits for a flush or a read lock, a reader gets through. */
    const readersUnharmed = async (): Promise<void> => {
      expect(longDone).toBe(false);
      expect(await watcher.session.query("SELECT id, state FROM information_schema.processlist WHERE state IN ('Waiting for table flush', 'Waiting for global read lock')")).toEqual([]);
      expect((await reader.session.query('SELECT id FROM app.dump_probe', [], { timeoutMs: 10_000 })).map((r) => Number(r['id']))).toEqual([1]);
    };

    it(engine === 'mysql' ? 'a seed by dump is refused before anything changes, naming the query (mysqldump would flush tables behind it)' : 'a seed by dump goes ahead beside it: MariaDB\'s dump takes no lock', async () => {
      const z = await newCopy('shard-1-beside-long', 11, 197);
      try {
        const seeding = seedFromReplica({ source: { host: source, port: 3306 }, target: { host, manager, spec: z }, account: { user: 'dbfleet', password: fx.passwords.dbfleet }, workDir: join(fx.dir, 'extra', 'work-beside-long'), connect: connectAdmin, method: 'dump' });
        if (engine === 'mysql') {
          await expect(seeding).rejects.toMatchObject({ code: 'SEED_SOURCE_BUSY', message: expect.stringMatching(new RegExp(`runs 1 query of 1 s or more: thread ${longer.session.threadId} \\(dbfleet, \\d+ s: SELECT SLEEP\\(30\\) FROM app\\.dump_probe\\)`)) });
          // the copy is as provision left it: no database, read-only
          const root = rootClientFor(host, z);
          expect(await root.userDatabases()).toEqual([]);
        } else {
          const seeded = await seeding;
          expect(seeded).toMatchObject({ method: 'dump', gtid: expect.stringMatching(/^0-\d+-\d+$/) });
          expect(seeded.databases).toContain('app');
        }
        await readersUnharmed();
      } finally {
        await manager.kill(z);
      }
    });

    if (engine === 'mysql') it("MySQL: mysqldump's own wait for the flush is bounded on the server (lock_wait_timeout, error 1205), not by a client giving up", async () => {
      const z = await newCopy('shard-1-flush-bound', 12, 196);
      try {
        const root = rootClientFor(host, z);
        await root.run((await root.dialect()).letAdminsWrite());
        await expect(seedByDump(host, z.engine, root, { source: { host: source, port: 3306 }, account: { user: 'dbfleet', password: fx.passwords.dbfleet }, databases: ['app'], workDir: join(fx.dir, 'extra', 'work-flush-bound'), timeoutMs: 60_000, lockWaitS: 1 })).rejects.toThrow(/FLUSH .*TABLES.*Lock wait timeout exceeded/s);
        expect(longDone).toBe(false);
        expect(await watcher.session.query("SELECT id FROM information_schema.processlist WHERE info LIKE 'FLUSH%'")).toEqual([]);
      } finally {
        await manager.kill(z);
      }
    });
  });

  describe('comparing two replicas at the same position', () => {
    // x: a current replica of the shard (the reference, serving reads); y: the new copy seeded above
    let m: MysqlAdmin, x: MysqlAdmin, yy: MysqlAdmin;
    let writing = true;
    let writer: Promise<void> = Promise.resolve();
    let w: Awaited<ReturnType<typeof openSession>> | undefined;
    /** How many STOP REPLICA / STOP SLAVE statements a server has run. */
    const stops = async (a: MysqlAdmin): Promise<number> => Number((await a.session.query(`SHOW GLOBAL STATUS LIKE '${sql.stopCounter}'`))[0]?.['Value']);
    const running = async (a: MysqlAdmin): Promise<boolean> => {
      const st = await a.replicaStatus();
      return st?.ioRunning === 'yes' && st.sqlRunning;
    };
    const onCopy = async (statements: string[]): Promise<void> => {
      for (const s of statements) await yy.session.query(s);
    };
    const POSITION = engine === 'mysql' ? /^[0-9a-f-]{36}:1-\d+$/ : /^0-\d+-\d+$/;
    /** STOP REPLICA SQL_THREAD statements a snapshot runs on the reference (MySQL pauses its applier; MariaDB reads gtid_slave_pos). */
    const PAUSES = engine === 'mysql' ? 1 : 0;

    beforeAll(async () => {
      const [master, a] = (await fx.state()).clusters[0]!.instances;
      [m, x, yy] = await Promise.all([admin(master!.host), admin(a!.host), admin(y.bindAddress)]);
      // the master keeps writing throughout these tests
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
      await Promise.all([m, x, yy].map((a) => a?.close()));
    });

    it('by default reads the reference in a consistent snapshot while it keeps replicating: equal while the master writes, and names the table once one drifts', async () => {
      const before = { x: await stops(x), y: await stops(yy) };
      const same = await compare(m, x, yy);
      expect(same.mode).toBe('snapshot');
      expect(same.equal, JSON.stringify(same)).toBe(true);
      expect(same.tables.map((t) => t.table)).toContain('app.writes');
      expect(same.position).toMatch(POSITION);
      // the reference never stopped serving (MySQL paused its applier once, for the snapshot to
      // open; MariaDB not at all); only the new copy stopped (and runs again)
      expect(await stops(x)).toBe(before.x + PAUSES);
      expect(await stops(yy)).toBeGreaterThan(before.y);
      expect(await running(x)).toBe(true);
      await eventually('the new copy replicating again', () => running(yy));
      // drift: a row only on the new copy (as a bad seed would leave), an id far from the master's
      await onCopy(sql.unloggedWrite("INSERT INTO app.writes (id, client, seq) VALUES (999999999, 'drift', 1)"));
      const told: string[] = [];
      const drifted = await compare(m, x, yy, { onReferenceStopped: (why) => told.push(why) });
      expect(drifted.equal).toBe(false);
      expect(drifted.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['app.writes']);
      // the difference is confirmed with both stopped at one position before it counts
      expect(drifted.rechecked?.tables).toEqual(['app.writes']);
      expect(told).toEqual([expect.stringMatching(/^app\.writes differed in the snapshot at \S+: comparing it again with both stopped$/)]);
      expect(await stops(x)).toBe(before.x + PAUSES + PAUSES + 1);
      await eventually('both replicating again', async () => (await running(x)) && (await running(yy)));
    });

    // MariaDB lists the new table in the reference's snapshot (its information_schema is not
    // transactional) with nothing in it there: it differs, and is compared again with both stopped.
    // MySQL's information_schema reads the data dictionary in the snapshot, where the table does
    // not exist yet: at that position neither copy has it, and the reference never stops.
    it(`a table made on the master while the reference is read in its snapshot is no false refusal (${engine === 'mysql' ? 'not there at the position' : 'equal once both are stopped at one position'})`, async () => {
      const before = await stops(x);
      await onCopy(sql.unloggedWrite("DELETE FROM app.writes WHERE id = 999999999 AND client = 'drift'"));
      const report = await compare(m, x, yy, {
        atPosition: async () => {
          // both stand at the position; the reference keeps replicating and soon lists the new table
          await m.session.query('CREATE TABLE app.made_during_verify (id INT PRIMARY KEY) ENGINE=InnoDB');
          await m.session.query('INSERT INTO app.made_during_verify VALUES (1), (2)');
          // asked on a connection of its own: MySQL's information_schema reads the data dictionary
          // inside the reference session's snapshot
          const other = await admin(x.endpoint.host);
          try {
            await eventually('the reference has the new table', async () => Number((await other.session.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'app' AND table_name = 'made_during_verify'"))[0]?.['n']) === 1);
          } finally {
            await other.close();
          }
        },
      });
      expect(report.equal, JSON.stringify(report)).toBe(true);
      if (engine === 'mysql') {
        expect(report.rechecked).toBeUndefined();
        expect(report.tables.map((t) => t.table)).not.toContain('app.made_during_verify');
        expect(await stops(x)).toBe(before + PAUSES);
      } else {
        expect(report.rechecked?.tables).toEqual(['app.made_during_verify']);
        expect(report.tables.find((t) => t.table === 'app.made_during_verify')?.a).not.toBeNull();
        expect(await stops(x)).toBe(before + 1);
      }
      await eventually('both replicating again', async () => (await running(x)) && (await running(yy)));
    });

    it('refuses at once, naming it, a reference that does not replicate', async () => {
      await x.session.query(sql.stopSqlThread);
      try {
        await expect(compare(m, x, yy)).rejects.toThrow(/the reference replica .* does not replicate \(io=yes sql=no\)/);
      } finally {
        await x.session.query(sql.startSqlThread);
      }
    });

    // The classic pile-up: a global read lock waiting for a long query makes every new query on
    // that table wait behind it. The snapshot's position must not cost the reference's readers anything.
    it('a long query on the reference and a reader beside it: the snapshot takes its position without waiting for the one or making the other wait', async () => {
      const [longer, reader, watcher] = await Promise.all([admin(x.endpoint.host), admin(x.endpoint.host), admin(x.endpoint.host)]);
      const long = longer.session.query('SELECT SLEEP(20) FROM app.writes LIMIT 1', [], { timeoutMs: 60_000 }).catch(() => undefined);
      let longDone = false;
      void long.then(() => (longDone = true));
      try {
        await eventually('the long query runs', async () => Number((await x.session.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(20)%'"))[0]?.['n']) === 1);
        // the reader reads the long query's table, one query after another, while the compare runs;
        // the watcher samples the reader's state on the server
        let comparing = true;
        let reads = 0;
        const waits = new Set<string>();
        const readerId = reader.session.threadId;
        const reading = (async () => {
          while (comparing) {
            await reader.session.query('SELECT COUNT(*) AS n FROM app.writes', [], { timeoutMs: 60_000 });
            reads += 1;
          }
        })();
        const watching = (async () => {
          while (comparing) {
            const state = (await watcher.session.query('SELECT state AS s FROM information_schema.processlist WHERE id = ?', [readerId]))[0]?.['s'];
            if (typeof state === 'string' && /^Waiting for/i.test(state)) waits.add(state);
            await new Promise((r) => setTimeout(r, 10));
          }
        })();
        let report: ChecksumReport;
        try {
          report = await compare(m, x, yy);
        } finally {
          comparing = false;
          await Promise.all([reading, watching]);
        }
        expect(report.mode, `the reader was seen: ${[...waits].join(', ') || 'never waiting'}`).toBe('snapshot');
        expect(report.equal, JSON.stringify(report)).toBe(true);
        // the snapshot did not wait for the long query, and the reader never waited for a lock
        expect(longDone).toBe(false);
        expect([...waits]).toEqual([]);
        expect(reads).toBeGreaterThan(0);
      } finally {
        await x.session.query(`KILL QUERY ${longer.session.threadId}`).catch(() => undefined);
        await long;
        await Promise.all([longer, reader, watcher].map((a) => a.close()));
      }
      await eventually('both replicating again', async () => (await running(x)) && (await running(yy)));
    });

    // What can hold the pause off: the applier finishing what it started, e.g. a replicated DDL
    // waiting for a long query's metadata lock. STOP REPLICA SQL_THREAD then waits with it.
    if (engine === 'mysql') it('MySQL: an applier held up by a replicated DDL behind a long query is waited for only up to the pause bound; it runs again once it can, and both are compared stopped instead', async () => {
      await m.session.query('CREATE TABLE app.ddl_probe (id INT PRIMARY KEY) ENGINE=InnoDB');
      await m.session.query('INSERT INTO app.ddl_probe VALUES (1)');
      await x.waitForGtid((await m.binlogPosition()).gtidSet ?? '', 30_000);
      const longer = await admin(x.endpoint.host);
      const long = longer.session.query('SELECT SLEEP(6) FROM app.ddl_probe', [], { timeoutMs: 30_000 }).catch(() => undefined);
      try {
        await eventually('the long query runs', async () => Number((await x.session.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(6)%'"))[0]?.['n']) === 1);
        // the new copy stays before the DDL, so the reference has applied as much as it (verify waits for that first)
        await yy.session.query(sql.stopSqlThread);
        await m.session.query('ALTER TABLE app.ddl_probe ADD COLUMN c INT NULL');
        await eventually('the reference applier waits for the DDL\'s lock', async () => Number((await x.session.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE state = 'Waiting for table metadata lock'"))[0]?.['n']) >= 1);
        const told: string[] = [];
        const report = await compare(m, x, yy, { snapshotPauseTimeoutS: 1, onReferenceStopped: (why) => told.push(why) });
        expect(report.mode).toBe('stop-both');
        expect(report.equal, JSON.stringify(report)).toBe(true);
        expect(told).toEqual([expect.stringMatching(/could not be read in a snapshot: .*its applier did not pause for the snapshot's position within 1 s/)]);
        // the DDL got through once the long query ended, and the reference replicates
        expect(Number((await x.session.query("SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'ddl_probe' AND column_name = 'c'"))[0]?.['n'])).toBe(1);
      } finally {
        await long;
        await longer.close();
        await yy.session.query(sql.startSqlThread).catch(() => undefined);
      }
      await eventually('both replicating again', async () => (await running(x)) && (await running(yy)));
    });

    it('stop-both (the fallback for a reference that cannot be read in a snapshot) stops both, finds drift, and equal once it is removed', async () => {
      const before = await stops(x);
      await onCopy(sql.unloggedWrite("INSERT IGNORE INTO app.writes (id, client, seq) VALUES (999999999, 'drift', 1)"));
      const drifted = await compare(m, x, yy, { mode: 'stop-both' });
      expect(drifted.mode).toBe('stop-both');
      expect(drifted.tables.filter((t) => !t.equal).map((t) => t.table)).toEqual(['app.writes']);
      expect(await stops(x)).toBeGreaterThan(before);
      await onCopy(sql.unloggedWrite("DELETE FROM app.writes WHERE id = 999999999 AND client = 'drift'"));
      const same = await compare(m, x, yy, { mode: 'stop-both' });
      expect(same.equal, JSON.stringify(same)).toBe(true);
      for (const r of [x, yy]) await eventually('replication running again', () => running(r));
    });

    // A compare that fails after it stopped replication must leave both replicating: the
    // reference serves reads, stale from the moment its threads stop. Each test compares through
    // sessions of its own (a failed compare cancels what runs on the other copy, closing that
    // session) and checks through x and yy.
    describe('a compare that fails midway leaves both replicating', () => {
      const statusQuery = engine === 'mysql' ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS';
      /**
       * What the server says about its replication once the master's writes up to now were given
       * 15 s to arrive: the threads, and the UNTIL condition it would stop at (None: none).
       */
      const caughtUp = async (a: MysqlAdmin): Promise<{ reached: boolean; io: string | undefined; sql: boolean | undefined; until: unknown }> => {
        const target = (await m.binlogPosition()).gtidSet ?? '';
        const reached = await a.waitForGtid(target, 15_000).then(
          () => true,
          () => false,
        );
        const st = await a.replicaStatus();
        return { reached, io: st?.ioRunning, sql: st?.sqlRunning, until: (await a.session.query(statusQuery))[0]?.['Until_Condition'] };
      };
      const REPLICATING = { reached: true, io: 'yes', sql: true, until: 'None' };
      /**
       * The reference lags its master by `seconds` (MASTER_DELAY / SOURCE_DELAY): run up to a
       * position just read from the master, it gets there only that much later. (A lock held on
       * it would not do: MariaDB's STOP SLAVE waits for an applier waiting for a lock.)
       */
      const delayReference = async (seconds: number): Promise<void> => {
        for (const q of sql.delay(seconds).split('; ')) await x.session.query(q);
      };
      /**
       * The test's own cleanup, after its assertions: no delay, both replicating for the next
       * test. A cleanup failure does not hide the assertion that failed before it.
       */
      const cleanUp = async (assertionFailed: boolean): Promise<void> => {
        try {
          await delayReference(0);
          for (const r of [x, yy]) if (!(await running(r))) await r.startReplica();
        } catch (e) {
          if (!assertionFailed) throw e;
        }
      };
      const thenCleanUp = async (assertions: () => Promise<void>): Promise<void> => {
        let failed = true;
        try {
          await assertions();
          failed = false;
        } finally {
          await cleanUp(failed);
        }
      };
      /** Verify's own sessions to the reference and the copy, closed after the compare. */
      const sessions = async (): Promise<{ ref: MysqlAdmin; copy: MysqlAdmin; close: () => Promise<void> }> => {
        const [ref, copy] = await Promise.all([admin(x.endpoint.host), admin(y.bindAddress)]);
        return { ref, copy, close: () => Promise.all([ref.close(), copy.close()]).then(() => undefined) };
      };
      const failureOf = (p: Promise<unknown>): Promise<unknown> =>
        p.then(
          () => undefined,
          (e: unknown) => e,
        );
      const escaped = (s: string): string => s.replace(/\./g, '\\.');

      it('the reference does not reach the position in time (it lags): the compare fails with the timeout, and the reference replicates again and catches up with the master', async () => {
        await delayReference(2);
        const { ref, copy, close } = await sessions();
        let failure: unknown;
        try {
          failure = await failureOf(compare(m, ref, copy, { mode: 'stop-both', timeoutMs: 1_000 }));
        } finally {
          await close();
        }
        await thenCleanUp(async () => {
          expect(String(failure)).toMatch(new RegExp(`${escaped(x.endpoint.host)}.*did not reach .* within 1000 ms`));
          // started again plainly: not still running up to the position only, to stop there
          expect(await caughtUp(x)).toEqual(REPLICATING);
          expect(await caughtUp(yy)).toEqual(REPLICATING);
        });
      });

      it('the verify session to the reference dies while it waits for the position: the compare fails, and replication is started again on a fresh connection', async () => {
        await delayReference(2);
        const { ref, copy, close } = await sessions();
        let failure: unknown;
        try {
          const comparing = failureOf(compare(m, ref, copy, { mode: 'stop-both', timeoutMs: 30_000 }));
          // killed from another session once it waits for the position (as a dying network drops it)
          await eventually('verify waits for the reference to reach the position', async () => Number((await x.session.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE id = ? AND info LIKE 'SELECT %WAIT%'", [ref.session.threadId]))[0]?.['n']) === 1);
          await x.session.query(`KILL ${ref.session.threadId}`);
          failure = await comparing;
        } finally {
          await close();
        }
        await thenCleanUp(async () => {
          expect(String(failure)).toMatch(new RegExp(`${escaped(x.endpoint.host)}.*(connection lost|closed)`, 'i'));
          expect(isDbfleetError(failure) && failure.code).not.toBe('VERIFY_LEFT_STOPPED');
          expect(await caughtUp(x)).toEqual(REPLICATING);
          expect(await caughtUp(yy)).toEqual(REPLICATING);
        });
      });

      it("the copy's connection drops during its checksum, both stopped at the position: the compare fails naming it, and both replicate again and catch up", async () => {
        const { ref, copy, close } = await sessions();
        let failure: unknown;
        try {
          failure = await failureOf(compare(m, ref, droppingAt(copy, /^CHECKSUM TABLE/), { mode: 'stop-both' }));
        } finally {
          await close();
        }
        await thenCleanUp(async () => {
          expect(String(failure)).toMatch(new RegExp(`session to ${escaped(y.bindAddress)}:3306 is closed`));
          expect(await caughtUp(x)).toEqual(REPLICATING);
          expect(await caughtUp(yy)).toEqual(REPLICATING);
        });
      });

      it('a copy that cannot be reached to start it again is an error naming it, with the command to run; the reference replicates again all the same', async () => {
        const { ref, copy, close } = await sessions();
        const refused = (s: MysqlAdmin): Promise<MysqlAdmin> => (s.endpoint.host === y.bindAddress ? Promise.reject(new Error(`connect ECONNREFUSED ${y.bindAddress}:3306`)) : admin(s.endpoint.host));
        let failure: unknown;
        try {
          failure = await failureOf(compare(m, ref, droppingAt(copy, /^CHECKSUM TABLE/), { mode: 'stop-both', reconnect: refused }));
        } finally {
          await close();
        }
        await thenCleanUp(async () => {
          expect(isDbfleetError(failure) && failure.code).toBe('VERIFY_LEFT_STOPPED');
          const e = failure as Error & { next?: string };
          const command = `START REPLICA on ${y.bindAddress}:3306`;
          // which copy, both connections tried, and what failed first
          expect(e.message).toContain(`the new copy ${y.bindAddress}:3306 (${command} failed on a fresh connection: connect ECONNREFUSED`);
          expect(e.message).toMatch(/on verify's session: session to .* is closed/);
          expect(e.message).toMatch(new RegExp(`after the compare failed: session to ${escaped(y.bindAddress)}:3306 is closed`));
          expect(e.next).toMatch(new RegExp(`^run ${command} now and check with SHOW .* that both threads run; then fix what made the compare fail and resume$`));
          expect(await caughtUp(x)).toEqual(REPLICATING);
          // the copy is as told: stopped at the position until the operator starts it
          expect((await yy.replicaStatus())?.sqlRunning).toBe(false);
        });
        expect(await caughtUp(yy)).toEqual(REPLICATING);
      });
    });
  });
});
