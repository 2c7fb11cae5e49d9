import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { startChecker } from '../support/checker-fixture.js';
import { dbfleet } from '../support/cli.js';

// Real sandbox; the checker in this process with a 4 s anti-flapping window.
let fx: SandboxFixture;
let checker: CheckerService;
const C = 'aurora-test-1';
const WINDOW_MS = 4_000;

beforeAll(async () => {
  fx = await SandboxFixture.up(1, 1);
  checker = await startChecker(fx, { writer_flip_min_interval_ms: WINDOW_MS, http_port: 18000 + Math.floor(Math.random() * 1000) });
}, 60_000);

afterAll(async () => {
  await checker?.stop({ release: true });
  await fx?.down();
});

interface Snap {
  clusters: { cluster: string; situation: { kind: string } | null; hold: { kind: string; to: string; until: number; reason: string } | null }[];
}

describe('anti-flapping', () => {
  it('holds a second writer flip inside the window, shows why and until when, then applies it on its own', async () => {
    const first = await fx.failover(C);
    const firstTo = (await fx.instance(first.new_writer)).host;
    await eventually('first flip applied', async () => (await fx.writerRecord(C))[0] === firstTo, 5_000);
    const flippedAt = Date.now();

    const second = await fx.failover(C);
    const secondTo = (await fx.instance(second.new_writer)).host;
    const held = await eventually('second flip held', async () => {
      const c = (checker.snapshot() as Snap).clusters.find((x) => x.cluster === C);
      return c?.situation?.kind === 'WriterFlipHeld' && c.hold ? c.hold : undefined;
    }, 5_000);
    expect(held).toMatchObject({ kind: 'flip-rate-limit', to: secondTo });
    expect(held.reason).toMatch(/flip/i);
    expect(held.until).toBeGreaterThan(Date.now());
    expect(held.until - flippedAt).toBeLessThanOrEqual(WINDOW_MS + 1_000);
    // still on the first new writer while held
    expect((await fx.writerRecord(C))[0]).toBe(firstTo);
    const metrics = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/dbfleet_hold_active\{cluster="aurora-test-1"\} 1/);

    // the hold expires on its own and the record follows the real writer
    await eventually('second flip applied after the window', async () => (await fx.writerRecord(C))[0] === secondTo, WINDOW_MS + 5_000);
    expect(Date.now() - flippedAt).toBeGreaterThanOrEqual(WINDOW_MS - 500);
    const after = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
    expect(after).toMatch(/dbfleet_hold_active\{cluster="aurora-test-1"\} 0/);
    expect(after).toContain(`dbfleet_record_weight{address="${secondTo}",name="aurora-test-1-w"} 100`);
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
      await fx.sql(reader, 'START SLAVE');
      await eventually('restored to 100 after the bent write', async () => (await fx.readerWeights(C))[readerInst.host] === 100, 10_000);
      const metrics = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/dbfleet_dns_write_failures_total\{cluster="aurora-test-1",code="DNS_VERIFY_FAILED"\} [1-9]/);
    } finally {
      await fx.sql('mydns', 'DROP TRIGGER IF EXISTS mydns.bend_restore');
    }
  });
});
