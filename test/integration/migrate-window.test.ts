/**
 * The write window (steps 3-7 of `migrate run`) under faults, on each engine's sandbox:
 * - step 3's admin session killed in the middle of the step (KILL of its thread): the undo runs on
 *   a fresh connection, so the source ends writable with its write user under its own name;
 * - a lock held on the source that makes step 3 wait (LOCK TABLES ... WRITE holds up
 *   read_only = 1; FLUSH TABLES WITH READ LOCK holds up RENAME USER): step 3 fails within its
 *   bound (cutover.lock_wait_s) and the undo, run while the lock is still held, leaves the source
 *   as it was;
 * - SIGINT to the CLI while step 3 runs: the window is closed through step 7, then the run stops
 *   (exit 1, saying how to resume), and --resume finishes; the same for a rollback's reverse switch;
 * - a refused precheck (step 2: a target reader does not answer) changes nothing and runs no undo;
 * - the final position: at once on MySQL, whose super_read_only proves the freeze (unless an XA
 *   transaction is prepared: XA COMMIT goes through it); after a still binlog on MariaDB.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileJournal, type JournalEntry } from '../../src/core/phases/journal.js';
import { PhaseFailedError } from '../../src/core/phases/phase-runner.js';
import type { MigrateEnv } from '../../src/migrate/migrate-env.js';
import type { MigrateConfig } from '../../src/migrate/migrate-schema.js';
import { migrateRun } from '../../src/migrate/migrate-run.js';
import { migrateRollback } from '../../src/migrate/rollback.js';
import type { MysqlAdmin } from '../../src/mysql/admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { TEST_ENGINES } from '../support/engines.js';
import { expectInitialState, MigrateFixture } from '../support/migrate-fixture.js';

let fx: MigrateFixture;

const withCutover = (over: Partial<MigrateConfig['cutover']>): MigrateEnv => ({ ...fx.env, config: { ...fx.env.config, cutover: { ...fx.env.config.cutover, ...over } } });
const entriesOf = (journal: string, phase: string): Promise<JournalEntry[]> => new FileJournal(journal).read().then((es) => es.filter((e) => e.phase === phase));
const events = async (journal: string, phase: string): Promise<string[]> => (await entriesOf(journal, phase)).map((e) => e.event);

/** A write as the application's account on an instance (by host): it logs in and commits, or throws. */
async function appWrites(host: string, client: string): Promise<void> {
  const s = await openSession({ host, port: 3306, user: 'app', password: fx.sb.passwords.app, database: 'app' }, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
  try {
    await s.query('INSERT INTO app.window_probe (client) VALUES (?)', [client]);
  } finally {
    await s.close();
  }
}

/** Rolls a run's journal back and checks the initial state (the target's account as it was before the test). */
async function rollBack(journal: string, targetFrozen: boolean): Promise<void> {
  await migrateRollback(fx.env, { journal });
  await expectInitialState(fx, expect, { targetFrozen });
}

const targetFrozenNow = async (): Promise<boolean> => (await fx.accounts(fx.sb.target.host)).includes('app_frozen_dbfleet');

describe.each(TEST_ENGINES)('the write window under faults (%s)', (engine) => {
  beforeAll(async () => {
    fx = await MigrateFixture.up({ engine });
    await fx.sql(fx.sb.source.host, 'CREATE TABLE app.window_probe (id BIGINT AUTO_INCREMENT PRIMARY KEY, client VARCHAR(64) NOT NULL)');
  });
  afterAll(async () => {
    await fx?.down();
  });

  it("step 3's admin session killed mid-step: the undo runs on a fresh connection, the source is writable with the write user under its own name, the journal says undone", async () => {
    const { source } = fx.sb;
    const frozenBefore = await targetFrozenNow();
    const journal = fx.journal('killed-session');
    let frozen = false;
    let killed: number | undefined;
    // The source's admin: once step 3 made it read-only, its thread is killed from another session
    // right before the final-position read (which then fails on the dead connection).
    const env: MigrateEnv = {
      ...fx.env,
      connect: async (...args) => {
        const adm = await fx.env.connect(...args);
        if (args[1].host !== source.host) return adm;
        const setReadOnly = adm.setReadOnly.bind(adm);
        const binlogPosition = adm.binlogPosition.bind(adm);
        return Object.assign(adm, {
          setReadOnly: async (...a: Parameters<MysqlAdmin['setReadOnly']>) => {
            await setReadOnly(...a);
            if (a[0]) frozen = true;
          },
          binlogPosition: async (...a: Parameters<MysqlAdmin['binlogPosition']>) => {
            if (frozen && killed === undefined) {
              killed = adm.session.threadId;
              await fx.sql(source.host, `KILL ${killed}`);
            }
            return binlogPosition(...a);
          },
        });
      },
    };
    const err = await migrateRun(env, { journal }).then(() => undefined, (e: unknown) => e);
    expect(killed, 'the kill happened inside step 3').toBeDefined();
    expect(err).toBeInstanceOf(PhaseFailedError);
    expect(err).toMatchObject({ phase: '3-freeze-writes', undone: true });
    expect(await events(journal, '3-freeze-writes')).toEqual(['start', 'failed', 'undone']);
    expect(await fx.accounts(source.host)).toEqual(['app']);
    expect(await fx.readOnly(source.host)).toBe(0);
    expect(await fx.fullReadOnly(source.host)).toBe(0);
    await appWrites(source.host, 'after-killed-session');
    await rollBack(journal, frozenBefore);
  });

  it.each([
    ['LOCK TABLES app.writes WRITE', 'read_only = 1 waits behind it'],
    ['FLUSH TABLES WITH READ LOCK', 'RENAME USER waits behind it'],
  ])('a lock held on the source (%s: %s) fails step 3 within lock_wait_s; the undo, with the lock still held, leaves the source writable under the original name', async (lock) => {
    const { source } = fx.sb;
    const frozenBefore = await targetFrozenNow();
    const journal = fx.journal(`locked-${lock.split(' ')[0]}`);
    // another account than the write user's: step 3 does not end its session
    const holder = await openSession({ host: source.host, port: 3306, user: 'dbfleet', password: fx.sb.passwords.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 30_000 });
    try {
      await holder.query(lock);
      const err = await migrateRun(withCutover({ lock_wait_s: 1 }), { journal }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(PhaseFailedError);
      expect(err).toMatchObject({ phase: '3-freeze-writes', undone: true });
      expect(String((err as Error).message)).toMatch(/Lock wait timeout exceeded|max_statement_time exceeded/);
      const three = await entriesOf(journal, '3-freeze-writes');
      expect(three.map((e) => e.event)).toEqual(['start', 'failed', 'undone']);
      // the server's bound ended the wait (its error, 1205 or MariaDB's max_statement_time), not the client's timeout
      expect(await fx.accounts(source.host)).toEqual(['app']);
      expect(await fx.readOnly(source.host)).toBe(0);
      expect(await fx.fullReadOnly(source.host)).toBe(0);
    } finally {
      await holder.query('UNLOCK TABLES').catch(() => undefined);
      holder.destroy();
    }
    await appWrites(source.host, `after-${lock}`);
    await rollBack(journal, frozenBefore);
  });

  it("a refused precheck changes nothing and runs no undo: step 2 refuses when a target reader does not answer; the records stay as step 1 left them", async () => {
    const journal = fx.journal('refused-precheck');
    const readers = new Set(fx.env.sides.target.readers.map((r) => r.host));
    expect(readers.size).toBeGreaterThan(0);
    // the target's readers do not answer (a connection refused, as from a stopped mysqld)
    const env: MigrateEnv = {
      ...fx.env,
      connect: async (engine, endpoint) => {
        if (readers.has(endpoint.host)) throw new Error(`connect ECONNREFUSED ${endpoint.host}:${endpoint.port} (injected)`);
        return fx.env.connect(engine, endpoint);
      },
    };
    const before = await fx.records();
    const err = await migrateRun(env, { journal }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseFailedError);
    expect(err).toMatchObject({ phase: '2-replica-record', undone: false });
    expect(String((err as Error).message)).toMatch(/^phase 2-replica-record refused \(nothing changed\): .*ECONNREFUSED/);
    const two = await entriesOf(journal, '2-replica-record');
    expect(two.map((e) => e.event)).toEqual(['start', 'failed']);
    expect(two[1]?.detail).toMatch(/^refused before any change: /);
    // the reader record as step 1 left it (only the TTLs lowered), the writer untouched
    const after = await fx.records();
    expect(after.reader).toEqual(before.reader);
    expect(after.writer).toEqual(before.writer);
    // the rollback puts the TTLs back (its undo of step 2 reads the record and finds nothing to do)
    await migrateRollback(fx.env, { journal });
    await expectInitialState(fx, expect, { targetFrozen: await targetFrozenNow() });
  });

  it('SIGINT to `migrate run` while step 3 runs: the window is closed through step 7, then the run stops (exit 1, how to resume); --resume finishes it', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('sigint');
    // a still-binlog wait of 1 s keeps step 3 running when the signal lands
    const config = parse(await readFile(fx.sb.configFile, 'utf8')) as { cutover: Record<string, unknown> };
    config.cutover = { ...config.cutover, writes_stopped_ms: 1_000, writes_stopped_proof: false };
    const configFile = join(fx.sb.dir, 'migrate-sigint.yaml');
    await writeFile(configFile, stringify(config));
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test', 'support', 'migrate-cli-child.ts'), 'migrate', 'run', '--config', configFile, '--journal', journal], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let signalledAt: number | undefined;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (signalledAt === undefined && stderr.includes('"msg":"phase 3-freeze-writes: start"')) {
        signalledAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    expect(signalledAt, 'SIGINT sent inside step 3').toBeDefined();
    expect(signal, stderr).toBeNull();
    expect(code, stderr).toBe(1);
    expect(stderr).toContain('SIGINT: stopping after the current phase; inside the write window (steps 3-7) the run first closes it');
    expect(stderr).toMatch(/stopped as asked before phase 8-restore-ttl; .*; the write window is closed: writes go to /);
    expect(stderr).toContain(`next: dbfleet migrate run --resume --config ${configFile} --journal ${journal}`);
    const all = await new FileJournal(journal).read();
    // the signal landed while step 3 ran, and the run went on to close the window
    expect(Date.parse(all.find((e) => e.phase === '3-freeze-writes' && e.event === 'done')?.at ?? '')).toBeGreaterThan(signalledAt as number);
    expect(all.filter((e) => e.event === 'done').map((e) => e.phase)).toEqual(['0-snapshot', '1-lower-ttl', '2-replica-record', '3-freeze-writes', '4-thaw-on-new-writer', '5-stop-replication', '6-record-position', '7-writer-record']);
    expect(all.some((e) => e.phase === '8-restore-ttl')).toBe(false);
    // writes open on exactly one side: the one the writer record names
    expect((await fx.records()).writer).toEqual([target.host]);
    expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
    expect(await fx.fullReadOnly(source.host)).toBe(1);
    expect(await fx.accounts(target.host)).toEqual(['app']);
    await appWrites(target.host, 'after-sigint');
    await expect(appWrites(source.host, 'after-sigint')).rejects.toThrow();
    const resumed = await fx.cli(['migrate', 'run', '--resume', '--config', configFile, '--journal', journal]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await events(journal, '8-restore-ttl')).at(-1)).toBe('done');
    expect((await events(journal, '9-old-writer-follows')).at(-1)).toBe('done');
    await migrateRollback(fx.env, { journal });
    await expectInitialState(fx, expect, { targetFrozen: true });
  });

  it('SIGINT to `migrate rollback` while its step 3 runs: the reverse window is closed through step 7, then it stops (exit 1, how to resume); --resume finishes it', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('sigint-rollback');
    const config = parse(await readFile(fx.sb.configFile, 'utf8')) as { cutover: Record<string, unknown> };
    config.cutover = { ...config.cutover, writes_stopped_ms: 1_000, writes_stopped_proof: false };
    const configFile = join(fx.sb.dir, 'migrate-sigint-rollback.yaml');
    await writeFile(configFile, stringify(config));
    const cutover = await fx.cli(['migrate', 'run', '--config', configFile, '--journal', journal]);
    expect(cutover.code, cutover.stderr).toBe(0);
    const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test', 'support', 'migrate-cli-child.ts'), 'migrate', 'rollback', '--config', configFile, '--journal', journal], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (!signalled && stderr.includes('"msg":"phase 3-freeze-writes: start"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    expect(signalled, 'SIGINT sent inside the rollback\'s step 3').toBe(true);
    expect(signal, stderr).toBeNull();
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/stopped as asked before phase 8-restore-ttl; .*; the write window is closed: writes go to /);
    expect(stderr).toContain(`next: dbfleet migrate rollback --resume --config ${configFile} --journal ${journal}`);
    const rb = await new FileJournal(`${journal}.rollback`).read();
    expect(rb.filter((e) => e.event === 'done').map((e) => e.phase)).toEqual(['0-rollback-mode', '0-snapshot', '1-lower-ttl', '2-replica-record', '3-freeze-writes', '4-thaw-on-new-writer', '5-stop-replication', '6-record-position', '7-writer-record']);
    // writes open on exactly one side: the source again, as the writer record says
    expect((await fx.records()).writer).toEqual([source.host]);
    expect(await fx.accounts(source.host)).toEqual(['app']);
    await appWrites(source.host, 'after-sigint-rollback');
    await expect(appWrites(target.host, 'after-sigint-rollback')).rejects.toThrow();
    const resumed = await fx.cli(['migrate', 'rollback', '--resume', '--config', configFile, '--journal', journal]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await events(`${journal}.rollback`, '9-old-writer-follows')).at(-1)).toBe('done');
    await expectInitialState(fx, expect, { targetFrozen: true });
  });

  it(`step 3's final position: ${engine === 'mysql' ? 'at once, super_read_only proving the freeze; after a still binlog while an XA transaction is prepared' : "after a still binlog (MariaDB's read_only lets SUPER through)"}`, async () => {
    const env = withCutover({ writes_stopped_ms: 1_000 });
    const step3 = async (name: string): Promise<{ ms: number; by: unknown }> => {
      const journal = fx.journal(name);
      await migrateRun(env, { journal });
      const done = (await entriesOf(journal, '3-freeze-writes')).find((e) => e.event === 'done');
      await rollBack(journal, true);
      return { ms: done?.ms ?? -1, by: done?.state?.['fromFinalBy'] };
    };
    const plain = await step3('final-position');
    if (engine === 'mysql') {
      expect(plain.by).toBe('proof');
    } else {
      expect(plain.by).toBe('still-binlog');
      expect(plain.ms).toBeGreaterThanOrEqual(1_000);
    }
    if (engine !== 'mysql') return;
    // a prepared XA transaction: any session may XA COMMIT it through super_read_only (measured), so the binlog must stand still
    const xa = await openSession({ host: fx.sb.source.host, port: 3306, user: 'dbfleet', password: fx.sb.passwords.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
    try {
      await xa.query("XA START 'dbfleet-window-test'");
      await xa.query("INSERT INTO app.window_probe (client) VALUES ('xa')");
      await xa.query("XA END 'dbfleet-window-test'");
      await xa.query("XA PREPARE 'dbfleet-window-test'");
      const withXa = await step3('final-position-xa');
      expect(withXa.by).toBe('still-binlog');
      expect(withXa.ms).toBeGreaterThanOrEqual(1_000);
    } finally {
      await xa.query("XA ROLLBACK 'dbfleet-window-test'").catch(() => undefined);
      xa.destroy();
    }
  });
});
