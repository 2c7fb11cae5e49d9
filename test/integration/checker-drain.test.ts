import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directResolver, queryA } from '../../src/dns/dns-query.js';
import { listDrains } from '../../src/dns/drains.js';
import type { CheckerService } from '../../src/failover/service/checker-service.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { dbfleet } from '../support/cli.js';
import { startChecker } from '../support/checker-fixture.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { TEST_ENGINES } from '../support/engines.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';

/**
 * Operator drains end to end: the real CLI, the real MyDNS database and PowerDNS, and a checker
 * converging weights to health every 100 ms in this process. On both engines (TEST_ENGINES): the
 * drains live in the MyDNS database (MariaDB on both), but whether a drain holds depends on the
 * checker probing the drained instance healthy, so the instances run MariaDB 10.11 and MySQL 9.7
 * in turn (one sandbox of 1 cluster x 3 instances each; the helpers below read the current one).
 */
let fx: SandboxFixture;
let checker: CheckerService;
let config: string;
let slot: number;
const C = 'aurora-test-1';
const READER = `${C}-r`;
const WRITER = `${C}-w`;
const addr = (i: number): string => `127.${slot}.1.${i}`;

interface Snapshot {
  clusters: { cluster: string; readers: unknown; instances: { id: string; address: string; health: string; role: string | null }[] }[];
}

/** The checker's own view of the reader pool (what `checker status` shows). */
const readers = (): unknown => (checker.snapshot() as Snapshot).clusters.find((c) => c.cluster === C)?.readers;

const health = (address: string): string | undefined =>
  (checker.snapshot() as Snapshot).clusters.find((c) => c.cluster === C)?.instances.find((i) => i.address === address)?.health;

/** What PowerDNS answers for the reader name, as a client would see it. */
async function answered(): Promise<string[]> {
  const [host, port] = (fx.config.dns.server ?? '').split(':');
  return (await queryA(directResolver(host ?? '127.0.0.1', Number(port)), `${READER}.${fx.config.dns.zone}`)).map((a) => a.address);
}

/** rr, the serial, the audit count and the drains: everything a refused command must leave alone. */
const dnsState = async (): Promise<string> => {
  const s = await openSession(fx.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
  try {
    const rows = await s.query('SELECT name, data, weight FROM rr ORDER BY id');
    const serial = await s.query('SELECT serial FROM soa');
    const audit = await s.query('SELECT COUNT(*) AS n FROM dbfleet_audit');
    return JSON.stringify({ rows, serial, audit, drains: await listDrains(s, fx.config.dns.zone) });
  } finally {
    await s.close();
  }
};

describe.each(TEST_ENGINES)('operator drains with a checker running (%s)', (engine: EngineKind) => {
  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 2, undefined, { engine });
    slot = (await fx.state()).slot;
    config = `${fx.dir}/fleet.yaml`;
    checker = await startChecker(fx);
    await eventually('checker active and every instance up', async () => checker.active && [1, 2, 3].every((i) => health(addr(i)) === 'up'));
  }, 120_000);

  afterAll(async () => {
    await checker?.stop({ release: true });
    await fx?.down();
  });

  it('a drained healthy reader stays at weight 0 and out of DNS for many checker intervals', async () => {
    expect(await fx.readerWeights(C)).toEqual({ [addr(1)]: 0, [addr(2)]: 100, [addr(3)]: 100 });
    const r = await dbfleet(['dns', 'drain', READER, addr(2), '--reason', 'instance type change', '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^drain ${READER} ${addr(2).replaceAll('.', '\\.')} \\(soa serial \\d+\\): held at weight 0, also by the checker, until: dbfleet dns undrain ${READER} ${addr(2).replaceAll('.', '\\.')}\\n`));
    expect(r.stdout).toMatch(new RegExp(`${addr(2).replaceAll('.', '\\.')}\\s+100\\s+0\\s+changed`));

    // 40 checker intervals and at least one full re-read of the records: the instance stays healthy, the drain holds
    const degraded = { kind: 'ReadersDegraded', serving: 1, outIds: [`${C}-instance-02`] };
    let seen = false;
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      expect(health(addr(2))).toBe('up');
      expect(await fx.readerWeights(C)).toEqual({ [addr(1)]: 0, [addr(2)]: 0, [addr(3)]: 100 });
      // the checker means it (once its 2 s re-read of the tables sees the drain): it holds the
      // reader out, rather than losing a fight to restore it
      if (seen) expect(readers()).toEqual(degraded);
      seen ||= JSON.stringify(readers()) === JSON.stringify(degraded);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(seen).toBe(true);
    expect(await answered()).toEqual([addr(3)]);

    const show = await dbfleet(['dns', 'show', READER, '--config', config]);
    expect(show.stdout).toMatch(new RegExp(`${addr(2).replaceAll('.', '\\.')}\\s+0\\s+1\\s+yes\\s+yes: instance type change\\n`));
    const json = JSON.parse((await dbfleet(['dns', 'show', READER, '--config', config, '--json'])).stdout) as { records: { address: string; drained: boolean; drain: { reason: string; actor: string } | null }[] };
    expect(json.records.find((x) => x.address === addr(2))).toMatchObject({ drained: true, drain: { reason: 'instance type change', actor: expect.stringMatching(/^cli:/) } });
    expect(json.records.find((x) => x.address === addr(3))).toMatchObject({ drained: false, drain: null });

    const s = await openSession(fx.dnsEndpoint, { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 });
    const audit = await s.query("SELECT actor, summary, why FROM dbfleet_audit WHERE why LIKE 'drain:%' ORDER BY id DESC LIMIT 1");
    await s.close();
    expect(audit[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), summary: `set weight ${READER} ${addr(2)}: 100 -> 0`, why: 'drain: instance type change' });
  });

  it('draining again changes nothing and says since when and by whom', async () => {
    const before = await dnsState();
    const r = await dbfleet(['dns', 'drain', READER, addr(2), '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: already drained since \d{4}-\d\d-\d\dT[\d:.]+Z by cli:.+ \(instance type change\), nothing changed\n/);
    expect(await dnsState()).toBe(before);
  });

  it("refuses to drain the writer name's only record, and bad input, changing nothing", async () => {
    const before = await dnsState();
    const w = await dbfleet(['dns', 'drain', WRITER, addr(1), '--config', config]);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain(`${WRITER} is a writer name: its only record (${addr(1)}) cannot be drained, a writer name must keep one answerable record; nothing was changed`);
    expect(w.stderr).toContain('next: drain the instance in its cluster\'s reader name instead');
    const bad: [string[], RegExp][] = [
      [['dns', 'drain', READER, '127.0.1.999'], /"127.0.1.999" is not an IP address/],
      [['dns', 'drain', READER, '127.9.9.9'], new RegExp(`${READER} has no record for 127.9.9.9`)],
      [['dns', 'drain', 'no-such-r', addr(2)], /no-such-r has no address records/],
      [['dns', 'drain', READER, addr(3), '--reason', ' '], /--reason is empty/],
      [['dns', 'undrain', READER, addr(2), '--weight', '-5'], /weight "-5" is not a whole number|weight -5 is invalid/],
    ];
    for (const [args, message] of bad) {
      const r = await dbfleet([...args, '--config', config]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect(await dnsState()).toBe(before);
    expect(await fx.writerRecord(C)).toEqual([addr(1)]);
  });

  it('undrain: the checker restores the healthy reader to 100 and DNS answers it again', async () => {
    const r = await dbfleet(['dns', 'undrain', READER, addr(2), '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: no longer drained; a running checker restores its weight once the instance is healthy/);
    await eventually('the checker restores the reader', async () => (await fx.readerWeights(C))[addr(2)] === 100, 10_000);
    expect(await fx.readerWeights(C)).toEqual({ [addr(1)]: 0, [addr(2)]: 100, [addr(3)]: 100 });
    await eventually('PowerDNS answers both readers', async () => (await answered()).join() === [addr(2), addr(3)].join(), 5_000);
    const again = await dbfleet(['dns', 'undrain', READER, addr(2), '--config', config]);
    expect(again.stdout).toMatch(/: not drained, nothing changed/);
  });

  it('draining every reader sends reads to the writer; a drained writer entry never takes them', async () => {
    for (const i of [2, 3]) expect((await dbfleet(['dns', 'drain', READER, addr(i), '--reason', 'restart', '--config', config])).code).toBe(0);
    await eventually('the writer takes the reads', async () => (await fx.readerWeights(C))[addr(1)] === 100, 10_000);
    expect(await fx.readerWeights(C)).toEqual({ [addr(1)]: 100, [addr(2)]: 0, [addr(3)]: 0 });
    // the writer's own entry drained too: the pool answers nothing, as the operator asked
    expect((await dbfleet(['dns', 'drain', READER, addr(1), '--config', config])).code).toBe(0);
    await new Promise((res) => setTimeout(res, 2_500));
    expect(await fx.readerWeights(C)).toEqual({ [addr(1)]: 0, [addr(2)]: 0, [addr(3)]: 0 });
    for (const i of [1, 2, 3]) expect((await dbfleet(['dns', 'undrain', READER, addr(i), '--config', config])).code).toBe(0);
    await eventually('back to the seed weights', async () => JSON.stringify(await fx.readerWeights(C)) === JSON.stringify({ [addr(1)]: 0, [addr(2)]: 100, [addr(3)]: 100 }), 10_000);
  });
});
