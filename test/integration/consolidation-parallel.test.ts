import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxFixture } from '../support/sandbox-fixture.js';
import { ShardWriters } from '../support/consolidation-writers.js';
import { dbfleet } from '../support/cli.js';
import { TEST_ENGINES } from '../support/engines.js';
import { ConsolidationRig, applyKilledIn, applyResume, journalEntries, type ConsolidationSetup } from '../support/consolidation-fixture.js';

// `shard apply --parallel 2` on real processes (MariaDB 10.11, MySQL 9.7): four sandbox shards
// onto two hosts of the same engine over two real sshd, planned with seeds_per_host 2 so that two moves share each wave. A writer runs on every
// shard through its writer record. The run is SIGKILLed inside one shard's verify while the other
// shard of its wave is in flight, then resumed with --parallel 2; the moves must really overlap,
// waves must not, and the end state must be the plan's with no acknowledged write lost.

const SHARDS = 4;

describe.each(TEST_ENGINES)('shard apply --parallel: two moves of a wave side by side (%s)', (engine) => {
  let fx: SandboxFixture;
  let rig: ConsolidationRig | undefined;
  let setup: ConsolidationSetup;
  let writers: ShardWriters | undefined;

  beforeAll(async () => {
    rig = await ConsolidationRig.up(SHARDS, 'cons-par', { seedsPerHost: 2, engine });
    ({ fx, setup } = rig);
  }, 180_000);

  afterAll(async () => {
    await writers?.stop();
    await rig?.down();
  }, 120_000);

  it('the plan puts two moves in each wave; --dry-run says how they will run', async () => {
    expect(setup.plan.moves.map((m) => m.wave)).toEqual([1, 1, 2, 2]);
    const r = await dbfleet(['shard', 'apply', setup.planFile, '--config', setup.configFile, '--dry-run', '--parallel', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('4 moves in 2 waves, up to 2 moves of a wave at a time');
    const bad = await dbfleet(['shard', 'apply', setup.planFile, '--config', setup.configFile, '--parallel', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--parallel must be between 1 and 64, got 0');
  });

  it(
    'overlaps the moves of a wave, not the waves; killed inside one while the other runs, resumes to the planned end state with no write lost',
    async () => {
      const shards = setup.plan.moves.map((m) => m.shard);
      writers = new ShardWriters(fx, shards, 'par');
      await writers.writing();
      const [s1, s2, s3, s4] = shards as [string, string, string, string];

      // a crash inside s2's verify, with s1 in flight beside it
      const k = await applyKilledIn(setup, undefined, { failpoint: `${s2}:verify-at-position`, args: ['--parallel', '2'] });
      expect(k.killed, k.stderr).toBe(true);
      const afterKill = await journalEntries(setup.journalFile);
      expect(afterKill.filter((e) => e.phase === `${s2}/verify`).at(-1)?.event).toBe('start');
      expect(afterKill.some((e) => e.phase.startsWith(`${s3}/`) || e.phase.startsWith(`${s4}/`))).toBe(false);

      const done = await applyResume(setup, ['--parallel', '2']);
      expect(done.code, done.stderr).toBe(0);

      // the moves of a wave overlapped; a wave began only after the one before had ended
      const entries = await journalEntries(setup.journalFile);
      const at = (shard: string, event: 'start' | 'done', pick: 'first' | 'last') => {
        const times = entries.filter((e) => e.phase.startsWith(`${shard}/`) && e.event === event).map((e) => Date.parse(e.at));
        return pick === 'first' ? Math.min(...times) : Math.max(...times);
      };
      expect(at(s2, 'start', 'first')).toBeLessThan(at(s1, 'done', 'last'));
      expect(at(s4, 'start', 'first')).toBeLessThan(at(s3, 'done', 'last'));
      expect(Math.min(at(s3, 'start', 'first'), at(s4, 'start', 'first'))).toBeGreaterThanOrEqual(Math.max(at(s1, 'done', 'last'), at(s2, 'done', 'last')));

      await writers.stopAfterMoreWrites();
      for (const w of writers.all) await writers.expectMovedWithNothingLost(setup, w);
    },
    300_000,
  );
});
