/**
 * Writes the rename and the read-only state do not stop, made for real on the sandbox of each
 * engine between killed and resumed runs. On MariaDB the admin account (SUPER, which read_only does
 * not stop) stands in for such a writer; on MySQL step 3 sets super_read_only, which stops the
 * admin too (checked), so a late write there is one after a restart lost the read-only state:
 * - between steps 4 and 5 (with read_only lost as a restart loses it, and a binlog rotation): step 5
 *   does not refuse; the late transaction reaches the target by replication, read_only is back;
 * - a rotation alone after step 5 is not a write: step 9 goes on;
 * - after step 8, a real transaction cannot reach the target any more (replication stopped in
 *   step 5): step 9 refuses, leaving the source untouched, and says the way out; `run --resume
 *   --accept-source-position` journals the operator's acknowledgement and finishes the cutover;
 *   `rollback` from there refuses alike, and `rollback --accept-source-position` finishes step 9 and
 *   switches back;
 * - a rollback's step 4 renames the write user back on the source, still a replica until step 5:
 *   it lowers MySQL's super_read_only for the rename only, so a refusal there (an account in both
 *   states) and a kill after it leave the source fully read-only;
 * - without pause (MariaDB): step 5 refuses after its rounds, replication running, and --resume
 *   finishes once the writer stops, with every acknowledged write on the target exactly once;
 * - without pause (MySQL): step 5's super_read_only stops the SUPER writer with an error (it never
 *   acknowledges a write that is not replicated), step 5 completes, and every acknowledged write is
 *   on the target exactly once.
 * An application writes through the writer record (DnsWriter) through every test, and after each
 * one every write it had acknowledged is on the writer of the moment. The late writes go to a table
 * of their own (app.late): they exist on one side only, and app.writes' ids must not collide.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/core/phases/journal.js';
import { migrateRun } from '../../src/migrate/migrate-run.js';
import { migrateRollback } from '../../src/migrate/rollback.js';
import { DnsWriter } from '../../src/migrate/sandbox/dns-writer.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { TEST_ENGINES } from '../support/engines.js';
import { expectInitialState, MigrateFixture, runAndKill } from '../support/migrate-fixture.js';

let fx: MigrateFixture;

/** Late writes by client name, in app.late (made on one side only: they must not take ids of app.writes). */
const count = async (host: string, client: string) => Number((await fx.sql(host, 'SELECT COUNT(*) AS n FROM app.late WHERE client = ?', [client]))[0]?.['n']);
const late = (client: string) => `INSERT INTO app.late (client, seq) VALUES ('${client}', 1)`;

/** MySQL's super_read_only refuses even the admin (SUPER) this error. */
const SUPER_READ_ONLY = /--super-read-only option so it cannot execute this statement/;

describe.each(TEST_ENGINES)('migrate and writes after the freeze (%s)', (engine) => {
  // one application writer for the whole file: every test moves the writer at least once
  let w: DnsWriter;
  let stopped = false;
  beforeAll(async () => {
    fx = await MigrateFixture.up({ engine });
    await fx.sql(fx.sb.source.host, 'CREATE TABLE app.late (client VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (client, seq))');
    w = new DnsWriter(fx.sb, { intervalMs: 20 });
    w.start();
    await w.waitForMore(10);
  });
  afterEach(async () => {
    // every write acknowledged so far is on the writer the record names now (each test ends with no move under way)
    if (w && !stopped) expect(await w.missingOn((await fx.records()).writer[0] as string, w.acknowledgedSoFar())).toEqual([]);
  });
  afterAll(async () => {
    if (w && !stopped) await w.stop();
    await fx?.down();
  });

  /**
   * A write on the frozen source as the admin: MariaDB's read_only lets SUPER through; MySQL's
   * super_read_only does not (asserted), so there it is written after read_only is lost, as a
   * restart loses it (SET GLOBAL read_only = 0 clears super_read_only too).
   */
  const writeOnFrozenSource = async (sql: string): Promise<void> => {
    const { source } = fx.sb;
    if (engine === 'mysql') {
      await expect(fx.sql(source.host, sql)).rejects.toThrow(SUPER_READ_ONLY);
      await fx.sql(source.host, 'SET GLOBAL read_only = 0');
    }
    await fx.sql(source.host, sql);
  };

  it('step 5 does not refuse a transaction committed after step 3: it replicates to the target; read_only lost since step 3 is set again; a rotation is not a write', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('late-before-5');
    expect(await runAndKill(fx, journal, '4-thaw-on-new-writer')).toBe('SIGKILL');
    // what a restart of the source does (read_only is not persisted), a late transaction, a rotation
    await fx.sql(source.host, 'SET GLOBAL read_only = 0');
    await fx.sql(source.host, late('between-3-and-5'));
    await fx.sql(source.host, 'FLUSH BINARY LOGS');
    expect(await runAndKill(fx, journal, '5-stop-replication', 'resume')).toBe('SIGKILL');
    expect(await fx.readOnly(source.host)).toBe(1);
    expect(await fx.fullReadOnly(source.host)).toBe(1);
    expect(await count(target.host, 'between-3-and-5')).toBe(1);
    expect(await fx.replication(target.host)).toBe(`${source.host} io=No sql=No`);
    // only a rotation after step 5: step 9 must not count it as a write
    await fx.sql(source.host, 'FLUSH BINARY LOGS');
    const done = await migrateRun(fx.env, { journal, resume: true });
    expect(done.ran).toEqual(['6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows']);
    expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    expect(await count(source.host, 'between-3-and-5')).toBe(1);
    await w.waitForMore(3);
    const back = await migrateRollback(fx.env, { journal });
    expect(back.mode).toBe('reverse');
    await expectInitialState(fx, expect, { targetFrozen: true });
    await w.waitForMore(3);
  });

  it('step 9 refuses a transaction after replication stopped (naming the count, not a rotation), leaving the source as it was; --resume --accept-source-position journals the acknowledgement and finishes', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('late-write');
    expect(await runAndKill(fx, journal, '8-restore-ttl')).toBe('SIGKILL');
    // the source's replica status as the previous test's rollback left it (stopped, from the target)
    const replicaBefore = await fx.replication(source.host);
    expect(replicaBefore).toBe(`${target.host} io=No sql=No`);
    await fx.sql(source.host, 'FLUSH BINARY LOGS');
    await writeOnFrozenSource(late('after-the-freeze'));
    await fx.sql(source.host, 'FLUSH BINARY LOGS');
    const err = await migrateRun(fx.env, { journal, resume: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/committed 1 transaction\(s\) after mysql-bin\.\d+:\d+ \(now mysql-bin\.\d+:\d+\), after replication to .* stopped: they exist only on .*; refusing to make it replicate from/);
    const cause = (err as { cause?: { code?: string; fault?: string; next?: string } }).cause;
    expect(cause).toMatchObject({ code: 'MIGRATE_WRITES_AFTER_FREEZE', fault: 'safety' });
    expect(cause?.next).toContain('are NOT on');
    expect(cause?.next).toContain('dbfleet migrate run --resume --accept-source-position');
    expect(cause?.next).not.toContain('mysqlbinlog');
    // nothing changed on the source: replication not set up from the target, the write still there and only there
    expect(await fx.replication(source.host)).toBe(replicaBefore);
    expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
    expect(await count(source.host, 'after-the-freeze')).toBe(1);
    expect(await count(target.host, 'after-the-freeze')).toBe(0);
    // a plain resume refuses the same way: the acknowledgement is the operator's
    await expect(migrateRun(fx.env, { journal, resume: true })).rejects.toThrow(/committed 1 transaction\(s\)/);
    const out = await fx.cli(['migrate', 'run', '--resume', '--accept-source-position', '--config', fx.sb.configFile, '--journal', journal]);
    expect(out.code, out.stderr).toBe(0);
    const accepted = (await new FileJournal(journal).read()).filter((e) => e.phase === '9-accepted-source-position');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.detail).toMatch(/the operator accepted .* at mysql-bin\.\d+:\d+: 1 transaction\(s\) after mysql-bin\.\d+:\d+ exist only on .*, NOT on /);
    expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    expect(await fx.accounts(source.host)).toEqual(['app']);
    expect(await count(target.host, 'after-the-freeze')).toBe(0);
    // a later resume needs no acknowledgement: step 9 is done
    expect((await migrateRun(fx.env, { journal, resume: true })).ran).toEqual([]);
    await w.waitForMore(3);
    const back = await migrateRollback(fx.env, { journal });
    expect(back.mode).toBe('reverse');
    await w.waitForMore(3);
  });

  it('a rollback from that refusal refuses the same way; rollback --accept-source-position journals the acknowledgement, finishes step 9 and switches back, the late write kept on the source', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('late-write-rollback');
    expect(await runAndKill(fx, journal, '8-restore-ttl')).toBe('SIGKILL');
    await w.waitForMore(3);
    await writeOnFrozenSource(late('after-the-freeze-rb'));
    const replicaBefore = await fx.replication(source.host);
    // the writer record is on the target (step 7 ran): the rollback is the reverse switch, which finishes step 9 first
    const refused = await fx.cli(['migrate', 'rollback', '--config', fx.sb.configFile, '--journal', journal]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/committed 1 transaction\(s\) after mysql-bin\.\d+:\d+/);
    expect(refused.stderr).toContain('dbfleet migrate rollback --accept-source-position');
    expect(await fx.replication(source.host)).toBe(replicaBefore);
    expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
    expect((await fx.records()).writer).toEqual([target.host]);
    const out = await fx.cli(['migrate', 'rollback', '--accept-source-position', '--config', fx.sb.configFile, '--journal', journal]);
    expect(out.code, out.stderr).toBe(0);
    const accepted = (await new FileJournal(journal).read()).filter((e) => e.phase === '9-accepted-source-position');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.detail).toMatch(/1 transaction\(s\) after mysql-bin\.\d+:\d+ exist only on .*, NOT on /);
    await expectInitialState(fx, expect, { targetFrozen: true });
    // the acknowledged divergence: the late write is on the source, which writes again, and only there
    expect(await count(source.host, 'after-the-freeze-rb')).toBe(1);
    expect(await count(target.host, 'after-the-freeze-rb')).toBe(0);
    await w.waitForMore(3);
  });

  it("a rollback's step 4 lowers the source's full read-only for its rename only: refused there (an account in both states) or killed after it, the source, still replicating, is as read-only as before; the resume finishes", async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('rollback-step-4');
    expect((await migrateRun(fx.env, { journal })).ran).toHaveLength(10);
    await w.waitForMore(3);
    expect(await fx.fullReadOnly(source.host)).toBe(1);
    /** Admin work on the source that does not replicate; MySQL's super_read_only lowered for it and set again. */
    const unloggedOnSource = (sql: string) =>
      fx.admin(source.host, async (a) => {
        if (engine === 'mysql') await a.session.query('SET GLOBAL super_read_only = 0');
        await a.session.query('SET SESSION sql_log_bin = 0');
        await a.session.query(sql);
        if (engine === 'mysql') await a.session.query('SET GLOBAL super_read_only = 1');
      });
    expect(await runAndKill(fx, journal, '3-freeze-writes', 'rollback')).toBe('SIGKILL');
    // the target's rename replicated: the source holds the frozen name; a second 'app' makes step 4's rename refuse
    expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
    await unloggedOnSource("CREATE USER 'app'@'%' IDENTIFIED BY 'not-the-app-password'");
    const refused = await migrateRollback(fx.env, { journal, resume: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String((refused as Error | undefined)?.message)).toMatch(/phase 4-thaw-on-new-writer failed: .*cannot thaw 'app'@'%': app exists, app_frozen_dbfleet exists/);
    expect(await fx.readOnly(source.host)).toBe(1);
    expect(await fx.fullReadOnly(source.host)).toBe(1);
    expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    await unloggedOnSource("DROP USER 'app'@'%'");
    expect(await runAndKill(fx, journal, '4-thaw-on-new-writer', 'rollback-resume')).toBe('SIGKILL');
    // between steps 4 and 5: renamed back, replicating, and as read-only as before
    expect(await fx.accounts(source.host)).toEqual(['app']);
    expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    expect(await fx.readOnly(source.host)).toBe(1);
    expect(await fx.fullReadOnly(source.host)).toBe(1);
    if (engine === 'mysql') await expect(fx.sql(source.host, late('between-rollback-4-and-5'))).rejects.toThrow(SUPER_READ_ONLY);
    const back = await migrateRollback(fx.env, { journal, resume: true });
    expect(back.reverse?.ran).toEqual(['5-stop-replication', '6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows']);
    await expectInitialState(fx, expect, { targetFrozen: true });
    await w.waitForMore(3);
  });

  if (engine === 'mariadb') it('a writer that never stops makes step 5 refuse after its rounds with replication running (nothing lost); once it stops, --resume finishes and every acknowledged write is on the target exactly once', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('endless-writer');
    expect(await runAndKill(fx, journal, '4-thaw-on-new-writer')).toBe('SIGKILL');
    // The admin (SUPER, which MariaDB's read_only lets through) commits on the source right after
    // each of step 5's replication stops on the target: every round sees a transaction between its
    // two position reads, whatever the machine's speed (a free-running writer raced the rounds).
    const s = await openSession({ host: source.host, port: 3306, user: 'dbfleet', password: fx.sb.passwords.dbfleet, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    let acked = 0;
    const writeOnce = async () => {
      await s.query("INSERT INTO app.writes (client, seq) VALUES ('endless', ?)", [acked + 1]);
      acked += 1;
    };
    const writingEnv = {
      ...fx.env,
      connect: async (...args: Parameters<typeof fx.env.connect>) => {
        const a = await fx.env.connect(...args);
        if (args[1].host !== target.host) return a;
        const stop = a.stopReplica.bind(a);
        return Object.assign(a, {
          stopReplica: async () => {
            await stop();
            await writeOnce();
          },
        });
      },
    };
    let err: unknown;
    try {
      await writeOnce();
      err = await migrateRun(writingEnv, { journal, resume: true }).then(() => undefined, (e: unknown) => e);
    } finally {
      await s.close();
    }
    expect(String((err as Error | undefined)?.message)).toMatch(/kept committing after writes were stopped \(1 transaction\(s\) in the last of 5 rounds\)/);
    const cause = (err as { cause?: { code?: string; next?: string } }).cause;
    expect(cause?.code).toBe('MIGRATE_WRITES_AFTER_FREEZE');
    expect(cause?.next).toContain('nothing is lost: replication runs again');
    expect(cause?.next).toContain('dbfleet migrate run --resume');
    // one write before step 5 and one after each of its 5 stops
    expect(acked).toBe(6);
    expect(await fx.replication(target.host)).toBe(`${source.host} io=Yes sql=Yes`);
    const done = await migrateRun(fx.env, { journal, resume: true });
    expect(done.ran).toEqual(['5-stop-replication', '6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows']);
    expect(await fx.sql(target.host, "SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS d, MAX(seq) AS m FROM app.writes WHERE client = 'endless'")).toEqual([{ n: acked, d: acked, m: acked }]);
    expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
  });

  if (engine === 'mysql') {
    it("a SUPER writer that never stops is stopped by step 5's super_read_only with an error (a restart had lost the read-only state): step 5 completes, and every acknowledged write is on the target exactly once", async () => {
      const { source, target } = fx.sb;
      const journal = fx.journal('endless-writer-mysql');
      expect(await runAndKill(fx, journal, '4-thaw-on-new-writer')).toBe('SIGKILL');
      // step 3's super_read_only stops the admin; a restart loses it
      const s = await openSession({ host: source.host, port: 3306, user: 'dbfleet', password: fx.sb.passwords.dbfleet, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
      await expect(s.query("INSERT INTO app.writes (client, seq) VALUES ('endless-mysql', 0)")).rejects.toThrow(SUPER_READ_ONLY);
      await fx.sql(source.host, 'SET GLOBAL read_only = 0');
      let stop = false;
      let acked = 0;
      let refused: unknown;
      const writing = (async () => {
        while (!stop) {
          try {
            await s.query("INSERT INTO app.writes (client, seq) VALUES ('endless-mysql', ?)", [acked + 1]);
          } catch (e) {
            refused = e;
            return;
          }
          acked += 1;
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      let done;
      try {
        while (acked < 20) await new Promise((r) => setTimeout(r, 5));
        done = await migrateRun(fx.env, { journal, resume: true });
      } finally {
        stop = true;
        await writing;
        await s.close();
      }
      expect(String((refused as Error | undefined)?.message)).toMatch(SUPER_READ_ONLY);
      expect(done.ran).toEqual(['5-stop-replication', '6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows']);
      expect(await fx.sql(target.host, "SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS d, MAX(seq) AS m FROM app.writes WHERE client = 'endless-mysql'")).toEqual([{ n: acked, d: acked, m: acked }]);
      expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    });
  }

  it('every write the application had acknowledged through all of those moves is on the writer of the moment', async () => {
    await w.waitForMore(3);
    const final = await w.stop();
    stopped = true;
    expect(final.acknowledged.length).toBeGreaterThan(100);
    expect(await w.missingOn((await fx.records()).writer[0] as string, final.acknowledged)).toEqual([]);
  });
});
