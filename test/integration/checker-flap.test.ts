/**
 * Anti-flapping and the read-back of every DNS write, on both engines (TEST_ENGINES): both fail
 * over or stop and restart an instance the checker probes, so MariaDB 10.11 and MySQL 9.7 each
 * get a sandbox (1 cluster x 2 instances). The bent DNS write is a trigger in the MyDNS database,
 * which is MariaDB on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { runStatements, startChecker } from '../support/checker-fixture.js';
import { dbfleet } from '../support/cli.js';
import { TEST_ENGINES } from '../support/engines.js';
import { withWriter } from '../support/writer-fixture.js';

const C = 'aurora-test-1';

interface Snap {
  clusters: { cluster: string; situation: { kind: string } | null; hold: { kind: string; to: string; until: number; reason: string } | null; last_flip: { at: number; to: string } | null }[];
}

// Real sandbox; the checker in this process with an anti-flapping window sized in beforeAll.
describe.each(TEST_ENGINES)('checker anti-flapping and DNS read-back (%s)', (engine: EngineKind) => {
  let WINDOW_MS = 0;
  let fx: SandboxFixture;
  let checker: CheckerService;

  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 1, undefined, { engine });
    // The window must outlast what lies between the first flip and the second new writer (the end
    // of one sandbox failover and most of the next: two instance starts and a clean stop), or the
    // second flip lands after it and is rightly not held. That is ~0.3 s per restart on MariaDB and
    // ~4 s on MySQL 9.7 (its clean stop), and several times more on a loaded machine: so restart the
    // reader once, before the checker runs, and size the window from how long that took here.
    const reader = `${C}-instance-02`;
    const t0 = Date.now();
    await fx.stopInstance(reader);
    await fx.startInstance(reader);
    const restartMs = Date.now() - t0;
    await runStatements(fx, reader, (d) => d.startReplica());
    WINDOW_MS = 4_000 + 3 * restartMs;
    checker = await startChecker(fx, { writer_flip_min_interval_ms: WINDOW_MS, http_port: 18000 + Math.floor(Math.random() * 1000) });
  }, 120_000);

  afterAll(async () => {
    await checker?.stop({ release: true });
    await fx?.down();
  });

  describe('anti-flapping', () => {
    it('holds a second writer flip inside the window, shows why and until when, then applies it on its own', async () => {
      // a client writes through the writer record across both flips and the hold: none of its
      // acknowledged writes is lost
      const run = await withWriter(fx, C, async () => {
        const first = await fx.failover(C);
        const firstTo = (await fx.instance(first.new_writer)).host;
        await eventually('first flip applied', async () => (await fx.writerRecord(C))[0] === firstTo, 10_000);
        // the window runs from the checker's decision of the first flip (its own clock, this
        // process), not from when the test saw the record: the failover goes on for a while after
        const lastFlip = (checker.snapshot() as Snap).clusters.find((x) => x.cluster === C)?.last_flip;
        expect(lastFlip?.to).toBe(firstTo);
        const flippedAt = lastFlip?.at ?? Number.NaN;

        const second = await fx.failover(C);
        const secondTo = (await fx.instance(second.new_writer)).host;
        const held = await eventually('second flip held', async () => {
          const c = (checker.snapshot() as Snap).clusters.find((x) => x.cluster === C);
          return c?.situation?.kind === 'WriterFlipHeld' && c.hold ? c.hold : undefined;
        }, WINDOW_MS);
        expect(held).toMatchObject({ kind: 'flip-rate-limit', to: secondTo });
        expect(held.reason).toMatch(/flip/i);
        expect(held.until).toBeGreaterThan(Date.now());
        expect(held.until).toBe(flippedAt + WINDOW_MS);
        // still on the first new writer while held
        expect((await fx.writerRecord(C))[0]).toBe(firstTo);
        const metrics = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
        expect(metrics).toMatch(/dbfleet_hold_active\{cluster="aurora-test-1"\} 1/);

        // the hold expires on its own and the record follows the real writer
        await eventually('second flip applied after the window', async () => (await fx.writerRecord(C))[0] === secondTo, WINDOW_MS + 5_000);
        expect(Date.now()).toBeGreaterThanOrEqual(flippedAt + WINDOW_MS);
        const after = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
        expect(after).toMatch(/dbfleet_hold_active\{cluster="aurora-test-1"\} 0/);
        expect(after).toContain(`dbfleet_record_weight{address="${secondTo}",name="aurora-test-1-w"} 100`);
      });
      expect(run.acknowledged).toBeGreaterThan(10);
      expect(run.lost).toBe(0);
      const status = await dbfleet(['checker', 'status', '--config', `${fx.dir}/fleet.yaml`]);
      expect(status.stdout).toMatch(/recent failovers:/);
    });
  });

  describe('read-back after every DNS write', () => {
    it('reports a commit whose rows are not what was written, then converges from what is there', async () => {
      const state = await fx.state();
      const readerInst = state.clusters[0]!.instances.find((i) => i.role === 'reader')!;
      const reader = readerInst.id;
      // The database quietly changes a restore to weight 42: the write "succeeds", the row differs.
      await fx.sql('mydns', "CREATE TRIGGER mydns.bend_restore BEFORE UPDATE ON mydns.rr FOR EACH ROW SET NEW.weight = IF(OLD.weight = 0 AND NEW.weight = 100, 42, NEW.weight)");
      try {
        await fx.stopInstance(reader);
        await eventually('reader drained', async () => (await fx.readerWeights(C))[readerInst.host] === 0, 5_000);
        await fx.startInstance(reader);
        await runStatements(fx, reader, (d) => d.startReplica());
        await eventually('restored to 100 after the bent write', async () => (await fx.readerWeights(C))[readerInst.host] === 100, 10_000);
        const metrics = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
        expect(metrics).toMatch(/dbfleet_dns_write_failures_total\{cluster="aurora-test-1",code="DNS_VERIFY_FAILED"\} [1-9]/);
      } finally {
        await fx.sql('mydns', 'DROP TRIGGER IF EXISTS mydns.bend_restore');
      }
    });
  });
});
