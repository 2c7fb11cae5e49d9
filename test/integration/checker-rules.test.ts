/**
 * The checker's rules on the sandbox, on both engines (TEST_ENGINES): every test here probes
 * instances, fails over or reads replication, so MariaDB 10.11 and MySQL 9.7 each get their own
 * sandbox (2 clusters x 3 instances). The MyDNS database is MariaDB either way. Changes made behind
 * the checker's back (a promotion by hand, read_only flips) use the engine's dialect statements.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { stampFirstWrite } from '../../src/failover/meter/first-write-stamp.js';
import { readTimelines } from '../../src/failover/service/status-store.js';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { runStatements, startChecker } from '../support/checker-fixture.js';
import { TEST_ENGINES } from '../support/engines.js';
import { withWriter } from '../support/writer-fixture.js';

const C1 = 'aurora-test-1';
const C2 = 'aurora-test-2';
const addr = (c: number, i: number, slot: number): string => `127.${slot}.${c}.${i}`;

// Real mysqld, PowerDNS and MyDNS tables; the checker runs in this process at a 100 ms interval.
describe.each(TEST_ENGINES)('failover checker rules on the sandbox (%s)', (engine: EngineKind) => {
  let fx: SandboxFixture;
  let checker: CheckerService;
  let slot: number;

  beforeAll(async () => {
    fx = await SandboxFixture.up(2, 2, undefined, { engine });
    slot = (await fx.state()).slot;
    checker = await startChecker(fx);
    await eventually('checker active', async () => checker.active);
  }, 120_000);

  afterAll(async () => {
    await checker?.stop({ release: true });
    await fx?.down();
  });

  it('writer killed (Aurora-style failover): the writer record follows the new writer, no acknowledged write lost', async () => {
    const stamped: Promise<boolean>[] = [];
    const { lost, acknowledged } = await withWriter(
      fx,
      C1,
      async () => {
        await fx.failover(C1);
        await eventually('writer record on instance-02', async () => (await fx.writerRecord(C1))[0] === addr(1, 2, slot));
      },
      { onRecovered: (a) => void (a.kind === 'write' && a.address && stamped.push(stampFirstWrite(openSession, fx.dnsEndpoint, C1, a.address, a.end))) },
    );
    expect(acknowledged).toBeGreaterThan(10);
    expect(lost).toBe(0);
    // the client's first write after the failover completes the checker's stored timeline
    expect(await Promise.all(stamped)).toContain(true);
    const s = await openSession(fx.dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    const [timeline] = await readTimelines(s, 1, { timeoutMs: 5_000 });
    await s.close();
    expect(timeline).toMatchObject({ cluster: C1, to: addr(1, 2, slot) });
    // the client can write to the new writer only once the record change is visible, which is after
    // the checker decided and issued it; dnsCommitted is stamped when the checker's COMMIT returns,
    // so a fast client may finish its first write a few ms before that stamp (seen in CI: 2 ms)
    expect(timeline!.firstWrite).toBeGreaterThanOrEqual(timeline!.decision!);
    expect(timeline!.dnsCommitted).toBeGreaterThanOrEqual(timeline!.decision!);
    expect(timeline!.decision).toBeGreaterThanOrEqual(timeline!.newWriterSeen!);
    // the seed's table after the switch: new writer at 0 in the reader record, old writer back as a reader
    await eventually('seed weights after the old writer returns', async () => {
      const w = await fx.readerWeights(C1);
      return w[addr(1, 2, slot)] === 0 && w[addr(1, 1, slot)] === 100 && w[addr(1, 3, slot)] === 100;
    });
  });

  it('a reader hung (SIGSTOP) is drained after fail_after probes and restored after recover_after', async () => {
    const reader = `${C2}-instance-03`;
    await fx.signal(reader, 'SIGSTOP');
    try {
      await eventually('hung reader drained', async () => (await fx.readerWeights(C2))[addr(2, 3, slot)] === 0, 5_000);
      expect((await fx.readerWeights(C2))[addr(2, 2, slot)]).toBe(100);
      expect(await fx.writerRecord(C2)).toEqual([addr(2, 1, slot)]);
    } finally {
      await fx.signal(reader, 'SIGCONT');
    }
    await eventually('reader restored', async () => (await fx.readerWeights(C2))[addr(2, 3, slot)] === 100, 5_000);
  });

  it('every reader down: reads go to the writer (fallback weight), and back to 0 when a reader returns', async () => {
    await fx.stopInstance(`${C2}-instance-02`);
    await fx.stopInstance(`${C2}-instance-03`);
    try {
      await eventually('writer takes reads', async () => (await fx.readerWeights(C2))[addr(2, 1, slot)] === 100, 5_000);
      const w = await fx.readerWeights(C2);
      expect([w[addr(2, 2, slot)], w[addr(2, 3, slot)]]).toEqual([0, 0]);
    } finally {
      await fx.startInstance(`${C2}-instance-02`);
    }
    await eventually('writer back to 0 once a reader is up', async () => {
      const w = await fx.readerWeights(C2);
      return w[addr(2, 1, slot)] === 0 && w[addr(2, 2, slot)] === 100;
    }, 5_000);
    await fx.startInstance(`${C2}-instance-03`);
    // it was stopped cleanly with skip_slave_start: let it replicate again for the next tests
    await runStatements(fx, `${C2}-instance-03`, (d) => d.startReplica());
    await eventually('all readers serving', async () => (await fx.readerWeights(C2))[addr(2, 3, slot)] === 100, 5_000);
  });

  it('a writer hung (SIGSTOP) counts as failed within the timeout; the record moves once a reader is promoted', async () => {
    const writer = `${C2}-instance-01`;
    const candidate = `${C2}-instance-02`;
    await fx.signal(writer, 'SIGSTOP');
    try {
      await eventually('hung writer seen as down', async () => {
        const snap = checker.snapshot() as { clusters: { cluster: string; instances: { id: string; health: string }[] }[] };
        return snap.clusters.find((c) => c.cluster === C2)?.instances.find((i) => i.id === writer)?.health === 'down';
      }, 5_000);
      expect(await fx.writerRecord(C2)).toEqual([addr(2, 1, slot)]);
      await runStatements(fx, candidate, (d) => [...d.stopReplica(), ...d.resetReplicaAll(), ...d.setReadOnly(false)]);
      await eventually('writer record moved to the promoted reader', async () => (await fx.writerRecord(C2))[0] === addr(2, 2, slot), 5_000);
    } finally {
      // bring the old writer back read-only so it does not become a second writer
      await fx.signal(writer, 'SIGCONT');
      await runStatements(fx, writer, (d) => d.setReadOnly(true));
    }
    await eventually('old writer serves reads again', async () => (await fx.readerWeights(C2))[addr(2, 1, slot)] === 100, 5_000);
  });

  it('split brain: two writable instances change no writer record and raise a critical alert', async () => {
    const before = await fx.writerRecord(C2);
    const reader = `${C2}-instance-03`;
    await runStatements(fx, reader, (d) => d.setReadOnly(false));
    try {
      await eventually('split brain detected', async () => {
        const snap = checker.snapshot() as { clusters: { cluster: string; situation: { kind: string } | null; alerts: { code: string }[] }[] };
        const c = snap.clusters.find((x) => x.cluster === C2);
        return c?.situation?.kind === 'SplitBrain' && c.alerts.length > 0;
      }, 5_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(await fx.writerRecord(C2)).toEqual(before);
    } finally {
      await runStatements(fx, reader, (d) => d.setReadOnly(true));
    }
  });

  it('every instance unreachable: no change at all to that cluster', async () => {
    const ids = [1, 2, 3].map((i) => `${C1}-instance-0${i}`);
    const before = [await fx.writerRecord(C1), await fx.readerWeights(C1)];
    for (const id of ids) await fx.signal(id, 'SIGSTOP');
    try {
      await eventually('all unreachable', async () => {
        const snap = checker.snapshot() as { clusters: { cluster: string; situation: { kind: string } | null }[] };
        return snap.clusters.find((x) => x.cluster === C1)?.situation?.kind === 'AllUnreachable';
      }, 5_000);
      await new Promise((r) => setTimeout(r, 800));
      expect([await fx.writerRecord(C1), await fx.readerWeights(C1)]).toEqual(before);
    } finally {
      for (const id of ids) await fx.signal(id, 'SIGCONT');
    }
  });

  it('DNS database down during a failover: no partial write; the checker converges once it returns', async () => {
    const dnsPid = await fx.pid('mydns');
    // a client keeps writing through the writer record (its resolver serves its last answer,
    // marked stale, while MyDNS is down): no acknowledged write is lost
    const { result: report, lost, acknowledged } = await withWriter(fx, C1, async () => {
      process.kill(dnsPid, 'SIGSTOP');
      try {
        const r = await fx.failover(C1);
        await new Promise((res) => setTimeout(res, 1_000));
        return r;
      } finally {
        process.kill(dnsPid, 'SIGCONT');
      }
    });
    expect(acknowledged).toBeGreaterThan(10);
    expect(lost).toBe(0);
    const newWriter = (await fx.instance(report.new_writer)).host;
    await eventually('writer record follows once MyDNS is back', async () => (await fx.writerRecord(C1))[0] === newWriter, 10_000);
    const w = await eventually('reader weights consistent with the writer', async () => {
      const weights = await fx.readerWeights(C1);
      return weights[newWriter] === 0 ? weights : undefined;
    });
    expect(Object.values(w).filter((x) => x === 100)).toHaveLength(2);
  });
});
