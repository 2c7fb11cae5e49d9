/**
 * Preflight refuses each unsafe state, made for real on the sandbox of each engine, naming the
 * check with its evidence, and changes nothing. Lag is made by holding a table lock on the target
 * while the source writes, so its applier waits with both threads running. The MySQL rules (a
 * DEFINER write user, gtid_mode of both sides) are made on real MySQL 9.7 servers.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { openSession } from '../../src/mysql/mysql2-session.js';
import type { SqlSession } from '../../src/mysql/admin.js';
import { migrateEnvFromConfig } from '../../src/migrate/migrate-env-from-config.js';
import { migratePreflight } from '../../src/migrate/preflight-gather.js';
import { silentLogger } from '../../src/core/logger.js';
import { TEST_ENGINES } from '../support/engines.js';
import { eventually } from '../support/sandbox-fixture.js';
import { expectInitialState, MigrateFixture } from '../support/migrate-fixture.js';

let fx: MigrateFixture;

async function failing(configFile?: string): Promise<Map<string, string>> {
  const loaded = configFile ? await migrateEnvFromConfig(configFile, { env: {}, logger: silentLogger }) : fx.loaded;
  const r = await migratePreflight(loaded.env, loaded.replicationLogin);
  expect(r.ok).toBe(r.checks.every((c) => c.ok));
  return new Map(r.checks.filter((c) => !c.ok).map((c) => [c.check, c.evidence]));
}

/** A copy of migrate.yaml with one change. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a YAML document edited field by field
type Doc = Record<string, any>;

async function variant(name: string, change: (doc: Doc) => void): Promise<string> {
  const doc = parse(await readFile(fx.sb.configFile, 'utf8')) as Doc;
  change(doc);
  const file = join(fx.sb.dir, `${name}.yaml`);
  await writeFile(file, stringify(doc));
  return file;
}

const admin = (host: string): Promise<SqlSession> => openSession({ host, port: 3306, user: 'dbfleet', password: fx.sb.passwords.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });

describe.each(TEST_ENGINES)('migrate preflight (%s)', (engine) => {
  beforeAll(async () => {
    fx = await MigrateFixture.up({ engine });
  });
  afterAll(async () => {
    await fx?.down();
  });

  it('passes on the fresh sandbox (the baseline every refusal below departs from)', async () => {
    expect([...(await failing())]).toEqual([]);
  });

  it('refuses when the target does not replicate, through the CLI: exit 1, the check and its evidence, nothing changed', async () => {
    const { target } = fx.sb;
    await fx.sql(target.host, 'STOP REPLICA');
    try {
      const out = await fx.cli(['migrate', 'preflight', '--config', fx.sb.configFile]);
      expect(out.code).toBe(1);
      expect(out.stdout).toMatch(/target replicates from the source\s+FAIL\s+source .* io=no sql=no/);
      expect(out.stdout).toContain('preflight FAILED');
    } finally {
      await fx.sql(target.host, 'START REPLICA');
    }
    await eventually('target replicating again', async () => (await fx.replication(target.host))?.endsWith('io=Yes sql=Yes'));
    await expectInitialState(fx, expect);
  });

  it('refuses a target that lags with both threads running', async () => {
    const { source, target } = fx.sb;
    const locker = await admin(target.host);
    const writer = await admin(source.host);
    try {
      await locker.query('LOCK TABLES app.writes READ');
      let n = 0;
      const evidence = await eventually(
        'the target lags',
        async () => {
          await writer.query('INSERT INTO app.writes (client, seq) VALUES (?, ?)', ['preflight-lag', ++n]);
          const failed = await failing();
          return failed.get('target has no replication lag');
        },
        20_000,
        250,
      );
      expect(evidence).toMatch(/^Seconds_Behind_Master \d+ \(limit 1 s\)$/);
      expect(await fx.replication(target.host)).toBe(`${source.host} io=Yes sql=Yes`);
    } finally {
      await locker.query('UNLOCK TABLES').catch(() => undefined);
      await Promise.all([locker.close(), writer.close()]);
    }
    await eventually('target caught up', async () => !(await failing()).has('target has no replication lag'), 20_000, 200);
    await expectInitialState(fx, expect);
  });

  it('refuses a target whose binlog is not in ROW format', async () => {
    const { target } = fx.sb;
    // MySQL 9.7 changes binlog_format only while the applier is stopped
    await fx.sql(target.host, 'STOP REPLICA SQL_THREAD');
    try {
      await fx.sql(target.host, "SET GLOBAL binlog_format = 'STATEMENT'");
      expect((await failing()).get('target writes a ROW binlog (replication can be reversed)')).toBe('log_bin=ON, binlog_format=STATEMENT');
    } finally {
      await fx.sql(target.host, "SET GLOBAL binlog_format = 'ROW'");
      await fx.sql(target.host, 'START REPLICA SQL_THREAD');
    }
  });

  it('refuses when the write user has different grants on the target', async () => {
    const { target } = fx.sb;
    await fx.sql(target.host, "GRANT SELECT ON mysql.* TO 'app'@'%'");
    try {
      expect((await failing()).get("write user 'app'@'%' is the same on both sides")).toMatch(/target: .*GRANT SELECT ON `mysql`/);
    } finally {
      await fx.sql(target.host, "REVOKE SELECT ON mysql.* FROM 'app'@'%'");
    }
    expect((await failing()).size).toBe(0);
  });

  it('refuses when a frozen account is left over from a half-done cutover', async () => {
    const { source } = fx.sb;
    await fx.sql(source.host, "CREATE USER 'app_frozen_dbfleet'@'%'");
    try {
      const f = await failing();
      expect(f.get('no app_frozen_dbfleet account on the source')).toMatch(/exists/);
    } finally {
      await fx.sql(source.host, "DROP USER 'app_frozen_dbfleet'@'%'");
    }
  });

  it('refuses a writer record that does not name the source (and shows what DNS serves)', async () => {
    const file = await variant('other-record', (d) => (d['dns'].writer_record = 'aurora-test-2-w'));
    const f = await failing(file);
    expect(f.get('writer record aurora-test-2-w names the source')).toBe(`aurora-test-2-w: ${fx.sb.target.host}/100`);
    expect(f.get('aurora-test-2-w is served by DNS')).toBe(`answer: ${fx.sb.target.host}`);
  });

  it('refuses when the reverse replication user cannot log in', async () => {
    const wrong = join(fx.sb.dir, 'wrong.password');
    await writeFile(wrong, 'not-the-password\n');
    await chmod(wrong, 0o600);
    const file = await variant('wrong-repl', (d) => (d['replication'].password_file = wrong));
    const f = await failing(file);
    expect(f.get('the replication user can log in to the target (reverse direction)')).toMatch(/denied/i);
    expect(f.get('the replication user can log in to the source (rollback)')).toMatch(/denied/i);
  });

  it('refuses an admin that cannot set sql_log_bin when a rollback left the write user frozen alone on the target (step 3 renames unlogged then); the same admin passes that check otherwise', async () => {
    const { source, target } = fx.sb;
    const check = 'the admin can set sql_log_bin on the source (unlogged rename)';
    // an admin that reads everything but lacks SUPER / BINLOG ADMIN (created on the source, replicated to the target)
    await fx.sql(source.host, "CREATE USER 'weakadmin'@'%' IDENTIFIED BY 'weak-admin-pw'");
    await fx.sql(source.host, `GRANT SELECT, PROCESS, ${engine === 'mysql' ? 'REPLICATION CLIENT' : 'SLAVE MONITOR, BINLOG MONITOR'} ON *.* TO 'weakadmin'@'%'`);
    const pw = join(fx.sb.dir, 'weakadmin.password');
    await writeFile(pw, 'weak-admin-pw\n');
    await chmod(pw, 0o600);
    const file = await variant('weak-admin', (d) => (d['admin'] = { user: 'weakadmin', password_file: pw }));
    try {
      await eventually('the weak admin replicated to the target', async () => (await fx.sql(target.host, "SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'weakadmin'"))[0]?.['n'] === 1);
      expect((await failing(file)).has(check)).toBe(false);
      // what a rollback by the reverse switch leaves on the Aurora-like target
      await fx.sql(target.host, "RENAME USER 'app'@'%' TO 'app_frozen_dbfleet'@'%'");
      try {
        expect((await failing(file)).get(check)).toMatch(/denied.*SUPER.*step 3 must rename 'app_frozen_dbfleet'@'%' unlogged/i);
        expect((await failing()).has(check)).toBe(false);
      } finally {
        await fx.sql(target.host, "RENAME USER 'app_frozen_dbfleet'@'%' TO 'app'@'%'");
      }
    } finally {
      await fx.sql(source.host, "DROP USER 'weakadmin'@'%'");
    }
    expect((await failing()).size).toBe(0);
  });

  it('refuses while a transaction is open on the source for longer than the limit', async () => {
    const s = await admin(fx.sb.source.host);
    try {
      await s.query('BEGIN');
      await s.query("INSERT INTO app.writes (client, seq) VALUES ('long-trx', 1)");
      // polled every 250 ms: InnoDB refreshes its INNODB_TRX cache only when it was not read in the last 100 ms
      await eventually('the transaction to be 2 s old', async () => Number((await fx.sql(fx.sb.source.host, 'SELECT MAX(TIMESTAMPDIFF(SECOND, trx_started, NOW())) AS age FROM information_schema.INNODB_TRX'))[0]?.['age']) >= 2, 10_000, 250);
      expect((await failing()).get('no long transaction on the source')).toMatch(/^thread \d+ \(dbfleet\) open \d+ s$/);
    } finally {
      await s.query('ROLLBACK');
      await s.close();
    }
  });

  it('refuses while DDL runs on the source', async () => {
    const holder = await admin(fx.sb.source.host);
    const ddl = await admin(fx.sb.source.host);
    await holder.query('BEGIN');
    await holder.query('SELECT COUNT(*) FROM app.writes');
    // blocks on the metadata lock the open transaction holds: a DDL "running" for as long as we like
    const alter = ddl.query('ALTER TABLE app.writes ADD COLUMN preflight_probe INT', [], { timeoutMs: 30_000 }).catch((e: unknown) => e);
    try {
      await eventually('the ALTER to show in the processlist', async () => Number((await fx.sql(fx.sb.source.host, "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'ALTER TABLE app.writes%'"))[0]?.['n']) === 1);
      expect((await failing()).get('no DDL running on the source')).toMatch(/ALTER TABLE app\.writes ADD COLUMN preflight_probe/);
    } finally {
      await fx.sql(fx.sb.source.host, `KILL CONNECTION ${ddl.threadId}`);
      await alter;
      ddl.destroy();
      await holder.query('ROLLBACK');
      await holder.close();
    }
    expect(Number((await fx.sql(fx.sb.source.host, "SELECT COUNT(*) AS n FROM information_schema.COLUMNS WHERE TABLE_NAME = 'writes' AND COLUMN_NAME = 'preflight_probe'"))[0]?.['n'])).toBe(0);
    await expectInitialState(fx, expect);
  });

  it('a config with a missing or malformed field exits 2 naming the field, before anything is touched', async () => {
    const missing = await variant('no-users', (d) => delete d['write_users']);
    const out = await fx.cli(['migrate', 'run', '--config', missing]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('write_users');
    const bad = await variant('bad-host', (d) => (d['target'].writer.host = 'not a host'));
    const out2 = await fx.cli(['migrate', 'preflight', '--config', bad]);
    expect(out2.code).toBe(2);
    expect(out2.stderr).toContain('target.writer.host: must be an IP address or a host name');
    expect((await fx.cli(['migrate', 'run'])).code).toBe(2);
    await expectInitialState(fx, expect);
  });

  it('a write user that is the DEFINER of a view: MySQL refuses the rename (ER 4006) to an admin without SET_ANY_DEFINER / ALLOW_NONEXISTENT_DEFINER, and preflight refuses that admin naming the view; with the privilege, or on MariaDB, it passes saying what is orphaned', async () => {
    const { source, target } = fx.sb;
    const check = (side: string) => `no stored object defined by a write user blocks RENAME USER on the ${side}`;
    await fx.sql(source.host, "CREATE DEFINER = 'app'@'%' SQL SECURITY INVOKER VIEW app.v_defined AS SELECT COUNT(*) AS n FROM app.writes");
    try {
      await eventually('the view replicated to the target', async () => Number((await fx.sql(target.host, "SELECT COUNT(*) AS n FROM information_schema.VIEWS WHERE TABLE_NAME = 'v_defined'"))[0]?.['n']) === 1);
      const r = await migratePreflight(fx.env, fx.loaded.replicationLogin);
      expect(r.checks.filter((c) => !c.ok)).toEqual([]);
      expect(r.checks.find((c) => c.check === check('source'))?.evidence).toMatch(
        engine === 'mysql'
          ? /^the admin holds SET_ANY_DEFINER, ALLOW_NONEXISTENT_DEFINER, so the rename goes through: view app\.v_defined \(DEFINER app@%\): their DEFINER does not exist from step 3's rename until the rename back/
          : /^this server does not refuse the rename: view app\.v_defined \(DEFINER app@%\)/,
      );
      if (engine === 'mysql') {
        // an admin with every privilege but those two (created on the source, replicated to the target)
        await fx.sql(source.host, "CREATE USER 'defadmin'@'%' IDENTIFIED BY 'def-admin-pw'");
        await fx.sql(source.host, "GRANT ALL ON *.* TO 'defadmin'@'%' WITH GRANT OPTION");
        await fx.sql(source.host, "REVOKE SET_ANY_DEFINER, ALLOW_NONEXISTENT_DEFINER ON *.* FROM 'defadmin'@'%'");
        const pw = join(fx.sb.dir, 'defadmin.password');
        await writeFile(pw, 'def-admin-pw\n');
        await chmod(pw, 0o600);
        const file = await variant('definer-admin', (d) => (d['admin'] = { user: 'defadmin', password_file: pw }));
        try {
          await eventually('defadmin replicated to the target', async () => Number((await fx.sql(target.host, "SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'defadmin'"))[0]?.['n']) === 1);
          const f = await failing(file);
          expect(f.get(check('source'))).toMatch(/^step 3's rename would fail \(ER 4006: RENAME USER of a DEFINER account\): view app\.v_defined \(DEFINER app@%\); .* grant the admin SET_ANY_DEFINER or ALLOW_NONEXISTENT_DEFINER on the source$/);
          expect(f.get(check('target'))).toMatch(/^a rollback's step 3 \(and undo\) rename would fail \(ER 4006/);
          expect([...f.keys()].sort()).toEqual([check('source'), check('target')].sort());
          // what preflight predicts is what the server does: this admin's rename fails, nothing renamed
          const s = await openSession({ host: source.host, port: 3306, user: 'defadmin', password: 'def-admin-pw' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
          try {
            await expect(s.query("RENAME USER 'app'@'%' TO 'app_frozen_dbfleet'@'%'")).rejects.toThrow(/referenced as a definer account in a view/);
          } finally {
            await s.close();
          }
          expect(await fx.accounts(source.host)).toEqual(['app']);
        } finally {
          await fx.sql(source.host, "DROP USER 'defadmin'@'%'");
        }
      }
    } finally {
      await fx.sql(source.host, 'DROP VIEW app.v_defined');
    }
    expect((await failing()).size).toBe(0);
  });

  if (engine === 'mysql') {
    it("gtid_mode: a target at OFF_PERMISSIVE (Aurora's default) passes, step 9 assigning GTIDs on the source; a target at OFF is refused for a rollback's step 9, saying which mode to change", async () => {
      const { source, target } = fx.sb;
      const step9 = 'step 9: the source can replicate from the target (gtid_mode)';
      const rollback9 = "a rollback's step 9: the target can replicate from the source (gtid_mode)";
      try {
        await fx.stepGtidMode(target.host, 'OFF_PERMISSIVE');
        const r = await migratePreflight(fx.env, fx.loaded.replicationLogin);
        expect(r.checks.filter((c) => !c.ok)).toEqual([]);
        expect(r.checks.find((c) => c.check === step9)?.evidence).toBe('the source gtid_mode ON, the target gtid_mode OFF_PERMISSIVE: the target writes anonymous transactions; ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL on the source gives them GTIDs of its own server_uuid');
        expect(r.checks.find((c) => c.check === rollback9)?.evidence).toMatch(/^the target gtid_mode OFF_PERMISSIVE, the source gtid_mode ON: the target applies what the source writes as it is$/);
        // gtid_mode OFF needs a channel without auto-positioning
        await fx.sql(target.host, 'STOP REPLICA');
        await fx.sql(target.host, 'CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 0');
        await fx.stepGtidMode(target.host, 'OFF');
        const f = await failing();
        expect(f.get(rollback9)).toBe('the target gtid_mode OFF, the source gtid_mode ON: a replica at gtid_mode OFF cannot apply the GTID transactions the source writes: set gtid_mode on the target to OFF_PERMISSIVE (online: SET GLOBAL gtid_mode = OFF_PERMISSIVE), or the source\'s to OFF_PERMISSIVE');
        expect(f.has(step9)).toBe(false);
      } finally {
        await fx.stepGtidMode(target.host, 'ON');
        await fx.sql(target.host, 'STOP REPLICA');
        await fx.sql(target.host, 'CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION = 1');
        await fx.sql(target.host, 'START REPLICA');
      }
      await eventually('target replicating again', async () => (await fx.replication(target.host)) === `${source.host} io=Yes sql=Yes`);
      expect((await failing()).size).toBe(0);
      await expectInitialState(fx, expect);
    });
  }
});

