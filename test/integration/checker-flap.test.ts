/**
 * Anti-flapping and the read-back of every DNS write, on both engines (TEST_ENGINES): both change
 * the writer or stop and restart an instance the checker probes, so MariaDB 10.11 and MySQL 9.7
 * each get a sandbox (1 cluster x 2 instances). The bent DNS write is a trigger in the MyDNS database,
 * which is MariaDB on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import type { Endpoint } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
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

/** Deadlines for the test's own admin connections. */
const T = { connectTimeoutMs: 2_000, queryTimeoutMs: 15_000 };

/**
 * The anti-flapping window. Both writer flips below are made by hand (no instance restarts), so
 * what lies between the first flip and the second new writer is a few statements, well under a
 * second even on a loaded machine, whatever the engine; the window only has to outlast that.
 */
const WINDOW_MS = 10_000;

// Real sandbox; the checker in this process.
describe.each(TEST_ENGINES)('checker anti-flapping and DNS read-back (%s)', (engine: EngineKind) => {
  let fx: SandboxFixture;
  let checker: CheckerService;

  /**
   * A writer change made by another tool, the way an online switchover makes one: the writer turns
   * read-only, the candidate applies its last GTID and becomes writable, the old writer follows it.
   */
  async function handFlip(fromId: string, toId: string): Promise<string> {
    const endpoint = async (id: string): Promise<Endpoint> => {
      const i = await fx.instance(id);
      return { host: i.host, port: i.port, user: 'dbfleet', password: fx.passwords.dbfleet };
    };
    const from = await connectAdmin(await endpoint(fromId), T);
    const to = await connectAdmin(await endpoint(toId), T);
    try {
      await from.setReadOnly(true);
      const { gtidSet } = await from.binlogPosition();
      await to.waitForGtid(gtidSet ?? '', 10_000);
      await to.stopReplica();
      await to.resetReplicaAll();
      await to.setReadOnly(false);
      await from.changeSourceFromOwnBinlog({ host: to.endpoint.host, port: to.endpoint.port, user: 'repl', password: fx.passwords.repl });
      await from.startReplica();
      return to.endpoint.host;
    } finally {
      await Promise.all([from.close(), to.close()]);
    }
  }

  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 1, undefined, { engine });
    checker = await startChecker(fx, { writer_flip_min_interval_ms: WINDOW_MS, http_port: 18000 + Math.floor(Math.random() * 1000) });
  }, 120_000);

  afterAll(async () => {
    await checker?.stop({ release: true });
    await fx?.down();
  });

  describe('anti-flapping', () => {
    it('holds a second writer flip inside the window, shows why and until when, then applies it on its own', async () => {
      const [one, two] = [`${C}-instance-01`, `${C}-instance-02`];
      // a client writes through the writer record across both flips and the hold: none of its
      // acknowledged writes is lost
      const run = await withWriter(fx, C, async () => {
        const firstTo = await handFlip(one, two);
        await eventually('first flip applied', async () => (await fx.writerRecord(C))[0] === firstTo, 10_000);
        // the window runs from the checker's own decision of the first flip (its clock)
        const lastFlip = (checker.snapshot() as Snap).clusters.find((x) => x.cluster === C)?.last_flip;
        expect(lastFlip?.to).toBe(firstTo);
        const flippedAt = lastFlip?.at ?? Number.NaN;

        const secondTo = await handFlip(two, one);
        const held = await eventually('second flip held', async () => {
          const c = (checker.snapshot() as Snap).clusters.find((x) => x.cluster === C);
          return c?.situation?.kind === 'WriterFlipHeld' && c.hold ? c.hold : undefined;
        }, WINDOW_MS);
        expect(held).toMatchObject({ kind: 'flip-rate-limit', to: secondTo });
        expect(held.reason).toMatch(/flip/i);
        expect(held.until).toBe(flippedAt + WINDOW_MS);
        // still on the first new writer while held
        expect((await fx.writerRecord(C))[0]).toBe(firstTo);
        const metrics = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
        expect(metrics).toMatch(/dbfleet_hold_active\{cluster="aurora-test-1"\} 1/);

        // the hold expires on its own and the record follows the real writer; the checker's own
        // timeline stamps that decision no earlier than the hold's end
        await eventually('second flip applied after the window', async () => (await fx.writerRecord(C))[0] === secondTo, WINDOW_MS + 10_000);
        const applied = (checker.snapshot() as Snap).clusters.find((x) => x.cluster === C)?.last_flip;
        expect(applied?.to).toBe(secondTo);
        expect(applied?.at ?? 0).toBeGreaterThanOrEqual(held.until);
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
