/**
 * The checker service's surfaces (metrics, health, hooks around a writer change, `checker once`
 * and `checker status`) on both engines (TEST_ENGINES): it fails a cluster over and probes a
 * stopped reader, so MariaDB 10.11 and MySQL 9.7 each get a sandbox (1 cluster x 3 instances).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { startChecker } from '../support/checker-fixture.js';
import { dbfleet } from '../support/cli.js';
import { TEST_ENGINES } from '../support/engines.js';
import { withWriter } from '../support/writer-fixture.js';

const C = 'aurora-test-1';

// Real sandbox; the checker in this process with hooks and the loopback HTTP endpoint on.
describe.each(TEST_ENGINES)('checker service surfaces (%s)', (engine: EngineKind) => {
  let fx: SandboxFixture;
  let checker: CheckerService;
  let hookLog: string;

  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 2, undefined, { engine });
    hookLog = join(fx.dir, 'hook.log');
    const before = join(fx.dir, 'before-hook.sh');
    const after = join(fx.dir, 'after-hook.sh');
    // the before-hook fails; the after-hook records what it was told, then hangs past its timeout
    await writeFile(before, `#!/bin/sh\necho "before $DBFLEET_OLD_WRITER -> $DBFLEET_NEW_WRITER" >> ${hookLog}\necho "cannot reach the pager" >&2\nexit 3\n`);
    await writeFile(after, `#!/bin/sh\necho "after $DBFLEET_CLUSTER $DBFLEET_NEW_WRITER" >> ${hookLog}\nsleep 30\n`);
    await chmod(before, 0o755);
    await chmod(after, 0o755);
    checker = await startChecker(fx, {
      http_port: 19000 + Math.floor(Math.random() * 1000),
      http_address: '127.0.0.1',
      hooks: { before_writer_change: { command: before, args: [], timeout_ms: 2_000 }, after_writer_change: { command: after, args: [], timeout_ms: 300 } },
    });
  }, 120_000);

  afterAll(async () => {
    await checker?.stop({ release: true });
    await fx?.down();
  });

  it('serves Prometheus metrics and a health check on loopback', async () => {
    const base = `http://127.0.0.1:${checker.httpPort}`;
    await eventually('probes counted', async () => (await (await fetch(`${base}/metrics`)).text()).includes('dbfleet_probe_latency_ms_count'));
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['dbfleet_instance_up', 'dbfleet_instance_writable', 'dbfleet_lease_held', 'dbfleet_record_weight', 'dbfleet_dns_writes_total']) expect(text).toContain(`# TYPE ${name}`);
    expect(text).toMatch(/dbfleet_instance_writable\{cluster="aurora-test-1",instance="aurora-test-1-instance-01"\} 1/);
    expect(text).toMatch(/dbfleet_lease_held\{checker="[^"]+"\} 1/);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ state: 'running', active: true });
  });

  it('runs hooks around a writer change with enforced timeouts; failing hooks are reported, the failover completes', async () => {
    // a client writes through the writer record during the failover: no acknowledged write is lost
    const { result: to, lost, acknowledged } = await withWriter(fx, C, async () => {
      const report = await fx.failover(C);
      const moved = (await fx.instance(report.new_writer)).host;
      await eventually('writer record moved', async () => (await fx.writerRecord(C))[0] === moved);
      return moved;
    });
    expect(acknowledged).toBeGreaterThan(10);
    expect(lost).toBe(0);
    const timeline = await eventually('timeline with both hooks', async () => {
      const snap = checker.snapshot() as { recent_failovers: { to: string; hooks?: { hook: string; ok: boolean; durationMs: number }[] }[] };
      const t = snap.recent_failovers.find((x) => x.to === to);
      return t?.hooks?.length === 2 ? t : undefined;
    }, 5_000);
    expect(timeline.hooks).toEqual([
      expect.objectContaining({ hook: 'before_writer_change', ok: false }),
      expect.objectContaining({ hook: 'after_writer_change', ok: false }),
    ]);
    // the hanging after-hook was cut at its 300 ms timeout
    expect(timeline.hooks![1]!.durationMs).toBeLessThan(2_000);
    const log = await readFile(hookLog, 'utf8');
    expect(log).toContain(`-> ${to}`);
    expect(log).toContain(`after ${C} ${to}`);
    const metrics = await (await fetch(`http://127.0.0.1:${checker.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/dbfleet_failover_stage_ms\{cluster="aurora-test-1",stage="dnsCommitted"\} \d+/);
  });

  it('checker once --dry-run prints the decision exactly and writes nothing; status shows the lease and the failover', async () => {
    await checker.stop({ release: true });
    const reader = `${C}-instance-03`;
    await fx.stopInstance(reader);
    try {
      const cfg = join(fx.dir, 'once.yaml');
      const doc = parse(await readFile(join(fx.dir, 'fleet.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
      doc.checker = { ...doc.checker, fail_after: 1 };
      await writeFile(cfg, stringify(doc));
      const before = await fx.readerWeights(C);
      const dry = await dbfleet(['checker', 'once', '--config', cfg, '--dry-run', '--json']);
      expect(dry.code).toBe(0);
      const out = JSON.parse(dry.stdout) as { dry_run: boolean; decisions: { cluster: string; change_set: { op: string; address: string; weight: number }[] }[] };
      expect(out.dry_run).toBe(true);
      const addr = (await fx.instance(reader)).host;
      expect(out.decisions[0]!.change_set).toContainEqual(expect.objectContaining({ op: 'set-weight', address: addr, weight: 0 }));
      expect(await fx.readerWeights(C)).toEqual(before);
      const real = await dbfleet(['checker', 'once', '--config', cfg]);
      expect(real.code).toBe(0);
      expect(real.stdout).toContain(`will set weight ${C}-r ${addr}: 100 -> 0`);
      expect(real.stdout).toContain(`${C}: applied`);
      expect((await fx.readerWeights(C))[addr]).toBe(0);
      const status = await dbfleet(['checker', 'status', '--config', cfg]);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/recent failovers:\n.*aurora-test-1 .* -> /);
    } finally {
      await fx.startInstance(reader);
    }
  });
});
