/**
 * The whole migration on the sandbox, on each engine: a source and an Aurora-like target (real
 * mariadbd 10.11 with emulated Aurora 2 procedures, or real mysqld 9.7 with emulated Aurora 3
 * procedures) replicating from it, MyDNS and PowerDNS. An application writes through the writer
 * record (weighted resolver, new connection per write) through the cutover and through the
 * rollback; every acknowledged write must be on the new writer afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/core/phases/journal.js';
import { acquireRunLock } from '../../src/core/phases/run-lock.js';
import { migrateRun, runDirection } from '../../src/migrate/migrate-run.js';
import { migrateRollback } from '../../src/migrate/rollback.js';
import { migratePreflight } from '../../src/migrate/preflight-gather.js';
import { DnsWriter } from '../../src/migrate/sandbox/dns-writer.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { transactionsSince } from '../../src/migrate/late-writes.js';
import { toRecorded } from '../../src/migrate/replication-checks.js';
import { TEST_ENGINES } from '../support/engines.js';
import { eventually } from '../support/sandbox-fixture.js';
import { expectInitialState, MigrateFixture, runAndKill } from '../support/migrate-fixture.js';

const maxId = async (fx: MigrateFixture, host: string) => Number((await fx.sql(host, 'SELECT COALESCE(MAX(id), 0) AS m FROM app.writes'))[0]?.['m']);

/**
 * The Aurora-like cluster at gtid_mode OFF_PERMISSIVE (Aurora's default: anonymous transactions);
 * its reader follows its writer by position and accepts both kinds (Aurora's readers share storage).
 * Once its writer has written anonymous transactions its channel from the source stays by position.
 */
async function anonymousTarget(fx: MigrateFixture): Promise<void> {
  const { target, targetReader } = fx.sb;
  if (String((await fx.sql(target.host, 'SELECT @@GLOBAL.gtid_mode AS m'))[0]?.['m']) === 'OFF_PERMISSIVE') return;
  await fx.sql(targetReader.host, 'STOP REPLICA');
  await fx.sql(targetReader.host, 'CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 0');
  await fx.stepGtidMode(targetReader.host, 'ON_PERMISSIVE');
  await fx.sql(targetReader.host, 'START REPLICA');
  await fx.stepGtidMode(target.host, 'OFF_PERMISSIVE');
}

describe.each(TEST_ENGINES)('migrate on the sandbox (%s)', (engine) => {
  let fx: MigrateFixture;
  beforeAll(async () => {
    fx = await MigrateFixture.up({ engine });
  });
  afterAll(async () => {
    await fx?.down();
  });

  it('preflight passes and the runbook names the real hosts and statements, with no secret in any output', async () => {
    await expectInitialState(fx, expect);
    const pf = await fx.cli(['migrate', 'preflight', '--config', fx.sb.configFile]);
    expect(pf.code, pf.stderr).toBe(0);
    expect(pf.stdout).toContain('preflight passed');
    const rb = await fx.cli(['migrate', 'runbook', '--config', fx.sb.configFile, '--journal', fx.journal('none')]);
    expect(rb.code, rb.stderr).toBe(0);
    const { source, target, targetReader } = fx.sb;
    expect(rb.stdout).toContain(`RENAME USER 'app'@'%' TO 'app_frozen_dbfleet'@'%'`);
    expect(rb.stdout).toContain('CALL mysql.rds_stop_replication');
    expect(rb.stdout).toContain(`aurora-test-1-w: ${source.host} -> ${target.host}`);
    expect(rb.stdout).toContain(`add ${targetReader.host} weight 100`);
    expect(rb.stdout).toContain(engine === 'mysql' ? "SOURCE_PASSWORD = '***'" : "MASTER_PASSWORD = '***'");
    for (const pw of Object.values(fx.sb.passwords)) expect(`${pf.stdout}${pf.stderr}${rb.stdout}${rb.stderr}`).not.toContain(pw);
    // --dry-run prints the same steps and changes nothing
    const dry = await fx.cli(['migrate', 'run', '--dry-run', '--config', fx.sb.configFile, '--journal', fx.journal('none')]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(rb.stdout);
    await expectInitialState(fx, expect);
  });

  it('cuts over with a writer running through DNS: every acknowledged write is on the target, the source follows it', async () => {
    const { source, target } = fx.sb;
    // a pooled application connection opened before the switch: step 3 must end it
    const pooled = await openSession({ host: source.host, port: 3306, user: 'app', password: fx.sb.passwords.app, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    await pooled.query('SELECT 1');
    // a session opened straight on the target (its cluster endpoint) before the switch: step 4 must
    // end it before the rename back, or it could write there before step 6's position
    const onTarget = await openSession({ host: target.host, port: 3306, user: 'app', password: fx.sb.passwords.app, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    await onTarget.query('SELECT 1');
    const w = new DnsWriter(fx.sb);
    w.start();
    let report;
    let final;
    try {
      await w.waitForMore(20);
      report = await migrateRun(fx.env, { journal: fx.journal('cutover') });
      await w.waitForMore(20);
    } finally {
      final = await w.stop();
    }
    expect(final.writes.filter((a) => a.ok).at(-1)?.address).toBe(target.host);
    expect(await w.missingOn(target.host, final.acknowledged)).toEqual([]);
    expect(final.acknowledged.length).toBeGreaterThan(40);
    expect(report.ran).toHaveLength(10);
    await expect(pooled.query('SELECT 1')).rejects.toThrow();
    pooled.destroy();
    await expect(onTarget.query("INSERT INTO app.writes (client, seq) VALUES ('stale-target-session', 1)")).rejects.toThrow();
    onTarget.destroy();
    expect(await fx.sql(target.host, "SELECT COUNT(*) AS n FROM app.writes WHERE client = 'stale-target-session'")).toEqual([{ n: 0 }]);
    // MySQL's super_read_only proves the freeze (freeze-proof.ts): no wait; MariaDB's read_only
    // lets SUPER through, so the window holds step 3's still-binlog wait (writes_stopped_ms: 100 in the fixture)
    const byProof = (await new FileJournal(fx.journal('cutover')).read()).find((e) => e.phase === '3-freeze-writes' && e.event === 'done')?.state?.['fromFinalBy'];
    expect(byProof).toBe(engine === 'mysql' ? 'proof' : 'still-binlog');
    // and step 4 waited for the final position by GTID on MySQL (both sides gtid_mode ON): a
    // multi-threaded applier's position wait would answer only at its next 300 ms checkpoint
    const appliedBy = (await new FileJournal(fx.journal('cutover')).read()).find((e) => e.phase === '4-thaw-on-new-writer' && e.event === 'done')?.state?.['finalAppliedBy'];
    if (engine === 'mysql') expect(appliedBy).toBe('gtid');
    else expect(['already', 'position']).toContain(appliedBy);
    if (engine !== 'mysql') expect(report.writeUnavailableMs).toBeGreaterThanOrEqual(100);
    expect((await fx.records()).writer).toEqual([target.host]);
    expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    expect(await fx.readOnly(source.host)).toBe(1);
    expect(await fx.fullReadOnly(source.host)).toBe(1);
    expect(await fx.accounts(source.host)).toEqual(['app']);
    expect(await fx.accounts(target.host)).toEqual(['app']);
    // re-running a finished run is a no-op; a second run on the same journal is refused
    const again = await migrateRun(fx.env, { journal: fx.journal('cutover'), resume: true });
    expect(again.ran).toEqual([]);
    await expect(migrateRun(fx.env, { journal: fx.journal('cutover') })).rejects.toThrow(/already records a run/);
    // a journal is bound to its switch: the same file offered for another direction is refused
    await expect(runDirection(fx.env, { journal: fx.journal('cutover'), resume: true, dryRun: true, direction: 'cutover', from: fx.env.sides.target, to: fx.env.sides.source })).rejects.toThrow(
      `records a switch ${source.host}:3306 -> ${target.host}:3306, not ${target.host}:3306 -> ${source.host}:3306`,
    );
  });

  it('rolls back through the CLI with a writer running: every acknowledged write is on the source again', async () => {
    const { source, target } = fx.sb;
    // on the Aurora-like side the connection is ended through mysql.rds_kill
    const pooled = await openSession({ host: target.host, port: 3306, user: 'app', password: fx.sb.passwords.app, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    await pooled.query('SELECT 1');
    const w = new DnsWriter(fx.sb);
    w.start();
    let out;
    let final;
    try {
      await w.waitForMore(20);
      out = await fx.cli(['migrate', 'rollback', '--config', fx.sb.configFile, '--journal', fx.journal('cutover')]);
      await w.waitForMore(20);
    } finally {
      final = await w.stop();
    }
    expect(final.writes.filter((a) => a.ok).at(-1)?.address).toBe(source.host);
    expect(await w.missingOn(source.host, final.acknowledged)).toEqual([]);
    expect(out.code, out.stderr).toBe(0);
    await expect(pooled.query('SELECT 1')).rejects.toThrow();
    pooled.destroy();
    expect(out.stdout).toContain('rollback by the reverse switch');
    expect(out.stdout).toMatch(/rollback aurora-test-2-instance-01 -> aurora-test-1-instance-01: writes unavailable \d+ ms/);
    for (const pw of Object.values(fx.sb.passwords)) expect(`${out.stdout}${out.stderr}`).not.toContain(pw);
    // the old writer is Aurora-like (cannot be made read-only): the write user stays frozen there,
    // so a client still holding its address (or the cluster endpoint) cannot write there
    await expectInitialState(fx, expect, { targetFrozen: true });
    await expect(openSession({ host: target.host, port: 3306, user: 'app', password: fx.sb.passwords.app, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 })).rejects.toThrow(/Access denied/);
    expect(await fx.replication(target.host)).toBe(`${source.host} io=Yes sql=Yes`);
    // a rollback of a rolled-back run has nothing left to do
    const again = await migrateRollback(fx.env, { journal: fx.journal('cutover'), resume: true });
    expect(again.reverse?.ran).toEqual([]);
    await expect(migrateRollback(fx.env, { journal: fx.journal('cutover') })).rejects.toThrow(/already records a rollback/);
  });

  it('one run per journal: run and rollback are refused while another command holds the lock (exit 2, the lock named)', async () => {
    const journal = fx.journal('locked');
    const held = await acquireRunLock(journal);
    try {
      for (const cmd of ['run', 'rollback']) {
        const out = await fx.cli(['migrate', cmd, '--config', fx.sb.configFile, '--journal', journal]);
        expect(out.code, `${cmd}: ${out.stderr}`).toBe(2);
        expect(out.stderr).toContain(`another run holds ${journal}.lock (pid ${process.pid}`);
      }
    } finally {
      await held.release();
    }
    await expectInitialState(fx, expect, { targetFrozen: true });
  });

  it('a writer the rename does not stop (a second host entry of the write user) cannot write after step 3: preflight names it, and the cutover loses none of its acknowledged writes', async () => {
    const { source, target } = fx.sb;
    // 'app'@'127.%' is more specific than 'app'@'%': every application connection now logs in as it,
    // and renaming 'app'@'%' does not stop it; only read_only does
    await fx.sql(source.host, `CREATE USER 'app'@'127.%' IDENTIFIED BY '${fx.sb.passwords.app}'`);
    await fx.sql(source.host, "GRANT SELECT, INSERT, UPDATE, DELETE ON app.* TO 'app'@'127.%'");
    try {
      const r = await migratePreflight(fx.env, fx.loaded.replicationLogin);
      expect(r.checks.find((c) => c.check === 'every host entry of a write user is listed')).toEqual({ check: 'every host entry of a write user is listed', ok: false, evidence: expect.stringContaining("'app'@'127.%'") });
      const w = new DnsWriter(fx.sb, { intervalMs: 5 });
      w.start();
      let report;
      let final;
      try {
        await w.waitForMore(20);
        report = await migrateRun(fx.env, { journal: fx.journal('second-host-entry') });
        await w.waitForMore(20);
      } finally {
        final = await w.stop();
      }
      expect(final.writes.filter((a) => a.ok).at(-1)?.address).toBe(target.host);
      expect(await w.missingOn(target.host, final.acknowledged)).toEqual([]);
      expect(report.ran).toHaveLength(10);
      expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
    } finally {
      // dropped on the writer of the moment; it replicates to the other side
      const writer = (await fx.records()).writer[0] as string;
      await fx.sql(writer, "DROP USER IF EXISTS 'app'@'127.%'");
    }
    const back = await migrateRollback(fx.env, { journal: fx.journal('second-host-entry') });
    expect(back.mode).toBe('reverse');
    await expectInitialState(fx, expect, { targetFrozen: true });
  });

  it('a cutover after a rollback never reopens the target before step 4: the write user cannot log in there between steps 3 and 4 (writer running)', async () => {
    const { source, target } = fx.sb;
    // after the rollbacks above the target holds only the frozen name. Its SQL thread is stopped so
    // that nothing replicated can mask a thaw step 3 would make on the target (the code before this
    // test renamed the account back there first, and the source's replicated rename froze it again
    // only once it arrived: a window for a client of the cluster endpoint)
    expect(await fx.accounts(target.host)).toEqual(['app_frozen_dbfleet']);
    await fx.sql(target.host, 'STOP REPLICA SQL_THREAD');
    const login = () => openSession({ host: target.host, port: 3306, user: 'app', password: fx.sb.passwords.app, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    const w = new DnsWriter(fx.sb);
    w.start();
    const journal = fx.journal('after-rollback');
    let final;
    try {
      await w.waitForMore(10);
      expect(await runAndKill(fx, journal, '3-freeze-writes')).toBe('SIGKILL');
      // between steps 3 and 4: the target still denies the write user, the source is frozen
      await expect(login()).rejects.toThrow(/Access denied/);
      expect(await fx.accounts(target.host)).toEqual(['app_frozen_dbfleet']);
      expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
      // the source's rename did not replicate (sql_log_bin = 0): the target's SQL thread, started
      // again, applies everything without an error
      await fx.sql(target.host, 'START REPLICA SQL_THREAD');
      const resumed = await migrateRun(fx.env, { journal, resume: true });
      expect(resumed.ran).toEqual(['4-thaw-on-new-writer', '5-stop-replication', '6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows']);
      await w.waitForMore(10);
    } finally {
      final = await w.stop();
    }
    expect(final.writes.filter((a) => a.ok).at(-1)?.address).toBe(target.host);
    expect(await w.missingOn(target.host, final.acknowledged)).toEqual([]);
    // step 4 thawed it after the final position
    expect(await fx.accounts(target.host)).toEqual(['app']);
    const s = await login();
    await s.close();
  });

  if (engine === 'mysql') {
    // Last in the file: the target's transactions written at OFF_PERMISSIVE have no GTID there, so
    // its channel from the source stays by position (as every rollback leaves it) from here on.
    it("gtid_mode: with the Aurora-like cluster at OFF_PERMISSIVE (Aurora's default: anonymous transactions), step 9 makes the source assign GTIDs of its own and it applies every write the new writer took; late anonymous transactions are counted; the rollback replicates back (writer running)", async () => {
      const { source, target } = fx.sb;
      // the test above ends cut over: roll that back first
      if ((await fx.records()).writer[0] === target.host) expect((await migrateRollback(fx.env, { journal: fx.journal('after-rollback') })).mode).toBe('reverse');
      await expectInitialState(fx, expect, { targetFrozen: true });
      await anonymousTarget(fx);
      const journal = fx.journal('gtid-anonymous');
      const w = new DnsWriter(fx.sb);
      w.start();
      let final;
      try {
        await w.waitForMore(20);
        const report = await migrateRun(fx.env, { journal });
        expect(report.ran).toHaveLength(10);
        // the runbook said so, and the source's applier was set so
        expect(report.runbook.steps[8]?.actions.map((a) => a.text)).toContain('CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL');
        expect(await fx.sql(source.host, 'SELECT Assign_gtids_to_anonymous_transactions_type AS t FROM mysql.slave_relay_log_info')).toEqual([{ t: 'LOCAL' }]);
        await w.waitForMore(20);
        // the new writer's transactions are anonymous; the source applies them, numbered in its own server_uuid
        const gtidBefore = String((await fx.sql(source.host, 'SELECT @@GLOBAL.gtid_executed AS g'))[0]?.['g']);
        // a write committed after that read (the writer's newest might already have been applied then)
        await fx.sql(target.host, "INSERT INTO app.writes (client, seq) VALUES ('after-gtid-read', 1)");
        const id = await maxId(fx, target.host);
        await eventually('the source applied the newest write', async () => (await maxId(fx, source.host)) >= id);
        expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
        expect(String((await fx.sql(source.host, 'SELECT @@GLOBAL.gtid_executed AS g'))[0]?.['g'])).not.toBe(gtidBefore);
        // a transaction at OFF_PERMISSIVE leaves @@gtid_executed as it was: it is counted from the binlog
        // events (by GTID it counted 0, and a late write on the rollback's old writer went unseen)
        await fx.admin(target.host, async (a) => {
          const p1 = toRecorded(await a.binlogPosition());
          await a.session.query("INSERT INTO app.writes (client, seq) VALUES ('anonymous-count', 1)");
          const p2 = await a.binlogPosition();
          expect(p2.gtidSet).toBe(p1.gtid);
          // the writer commits there too meanwhile: at least ours
          expect(await transactionsSince(a, p1, p2)).toBeGreaterThanOrEqual(1);
        });
        const back = await migrateRollback(fx.env, { journal });
        expect(back.mode).toBe('reverse');
        await w.waitForMore(20);
      } finally {
        final = await w.stop();
      }
      expect(final.writes.filter((a) => a.ok).at(-1)?.address).toBe(source.host);
      expect(await w.missingOn(source.host, final.acknowledged)).toEqual([]);
      await expectInitialState(fx, expect, { targetFrozen: true });
    });

    it("gtid_mode: a resume inside step 9 that finds the source's IO thread unable to connect and its SQL thread running leaves that applier alone (MySQL refuses the GTID assignment while a thread runs, ER 3081; the stored LOCAL stays through STOP, a CHANGE of other options and START) and finishes once the IO thread connects; the rollback replicates back (writer running)", async () => {
      const { source, target } = fx.sb;
      await expectInitialState(fx, expect, { targetFrozen: true });
      await anonymousTarget(fx);
      const assigned = async () => fx.sql(source.host, 'SELECT Assign_gtids_to_anonymous_transactions_type AS t FROM mysql.slave_relay_log_info');
      // not binlogged: neither the source (a replica of the target by then) nor the target's reader may apply it
      const replicationLogin = (lock: 'LOCK' | 'UNLOCK') =>
        fx.admin(target.host, async (a) => {
          await a.session.query('SET SESSION sql_log_bin = 0');
          await a.session.query(`ALTER USER 'repl'@'%' ACCOUNT ${lock}`);
        });
      const journal = fx.journal('gtid-anonymous-io-connecting');
      const w = new DnsWriter(fx.sb);
      w.start();
      let final;
      try {
        await w.waitForMore(20);
        expect(await runAndKill(fx, journal, '9-old-writer-follows: replica started')).toBe('SIGKILL');
        expect(await assigned()).toEqual([{ t: 'LOCAL' }]);
        expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
        // the target refuses the source's replication login; the source's IO thread retries every second, without end
        await replicationLogin('LOCK');
        await fx.sql(source.host, 'STOP REPLICA');
        await fx.sql(source.host, 'CHANGE REPLICATION SOURCE TO SOURCE_CONNECT_RETRY = 1, SOURCE_RETRY_COUNT = 0');
        await fx.sql(source.host, 'START REPLICA');
        expect(await assigned()).toEqual([{ t: 'LOCAL' }]);
        await eventually('the IO thread connecting, the SQL thread running', async () => (await fx.replication(source.host)) === `${target.host} io=Connecting sql=Yes`);
        // what the resume must not do: assign GTIDs under the running applier
        await expect(fx.sql(source.host, 'CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL')).rejects.toThrow(/STOP REPLICA/);
        // the login is allowed again once the resume has renamed the write user back (after it acted on replication)
        let settled = false;
        const resumed = migrateRun(fx.env, { journal, resume: true }).finally(() => {
          settled = true;
        });
        const unblocked = (async () => {
          while (!settled && !(await fx.accounts(source.host)).includes('app')) await new Promise((r) => setTimeout(r, 20));
          await replicationLogin('UNLOCK');
        })();
        const [done] = await Promise.allSettled([resumed, unblocked]);
        if (done.status === 'rejected') throw done.reason;
        expect(done.value.ran).toEqual(['9-old-writer-follows']);
        expect(await fx.replication(source.host)).toBe(`${target.host} io=Yes sql=Yes`);
        expect(await assigned()).toEqual([{ t: 'LOCAL' }]);
        expect(await fx.accounts(source.host)).toEqual(['app']);
        expect(await fx.fullReadOnly(source.host)).toBe(1);
        await w.waitForMore(20);
        const id = await maxId(fx, target.host);
        await eventually('the source applied the newest write', async () => (await maxId(fx, source.host)) >= id);
        const back = await migrateRollback(fx.env, { journal });
        expect(back.mode).toBe('reverse');
        await w.waitForMore(20);
      } finally {
        await replicationLogin('UNLOCK');
        final = await w.stop();
      }
      expect(final.writes.filter((a) => a.ok).at(-1)?.address).toBe(source.host);
      expect(await w.missingOn(source.host, final.acknowledged)).toEqual([]);
      await expectInitialState(fx, expect, { targetFrozen: true });
    });
  }
});
