/**
 * A write the rename and read_only do not stop (here the admin account, which has SUPER) lands on
 * the source after the final position. Step 9 must refuse to make the source a replica of the new
 * writer: those transactions exist only on the source, and replication from step 6's position would
 * leave them there unseen. Made for real on the sandbox: the run is killed after step 8, the write
 * is made, and the resume refuses without changing the source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateRun } from '../../src/migrate/migrate-run.js';
import { MigrateFixture, runAndKill } from '../support/migrate-fixture.js';

let fx: MigrateFixture;
beforeAll(async () => {
  fx = await MigrateFixture.up();
});
afterAll(async () => {
  await fx?.down();
});

describe('migrate refuses to lose a write made after the freeze', () => {
  it('step 9 refuses (SafetyRefusal naming both positions) when the source wrote after the final position, and leaves the source as it was', async () => {
    const { source, target } = fx.sb;
    const journal = fx.journal('late-write');
    expect(await runAndKill(fx, journal, '8-restore-ttl')).toBe('SIGKILL');
    // read_only does not stop an account with SUPER: the admin stands in for one
    await fx.sql(source.host, "INSERT INTO app.writes (client, seq) VALUES ('after-the-freeze', 1)");
    const err = await migrateRun(fx.env, { journal, resume: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/wrote after writes were stopped \(mysql-bin\.\d+:\d+ -> mysql-bin\.\d+:\d+\); refusing to make it replicate from/);
    expect((err as { cause?: { code?: string; fault?: string } }).cause).toMatchObject({ code: 'MIGRATE_WRITES_AFTER_FREEZE', fault: 'safety' });
    // nothing changed on the source: not a replica of the target, the write still there and only there
    expect(await fx.replication(source.host)).toBeNull();
    expect(await fx.accounts(source.host)).toEqual(['app_frozen_dbfleet']);
    expect(await fx.sql(source.host, "SELECT COUNT(*) AS n FROM app.writes WHERE client = 'after-the-freeze'")).toEqual([{ n: 1 }]);
    expect(await fx.sql(target.host, "SELECT COUNT(*) AS n FROM app.writes WHERE client = 'after-the-freeze'")).toEqual([{ n: 0 }]);
  });
});
