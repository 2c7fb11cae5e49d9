import { afterAll, expect, it } from 'vitest';
import { FakeFleet } from '../../bench/lib/fake-mysql/fake-fleet.js';
import type { Role, Timeouts } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';

/**
 * A quick load check of the scale benchmark's stand-in: 1,000 instances (250 Aurora clusters of
 * 4) in one FakeFleet, each connected once by dbfleet's adapter and probed for its role. The time
 * is reported, not asserted: the benchmark itself measures capacity (measure-capacity.ts).
 */

const TIMEOUTS: Timeouts = { connectTimeoutMs: 5_000, queryTimeoutMs: 5_000 };
const IN_FLIGHT = 100;

let fleet: FakeFleet | undefined;

afterAll(async () => {
  await fleet?.close();
});

it('1,000 instances in one FakeFleet: each connected once and probed', async () => {
  let t = performance.now();
  fleet = await FakeFleet.start({ clusters: 250, instancesPerCluster: 4, addressing: { kind: 'loopback-addresses', secondOctet: 242, port: 3306 } });
  const startMs = performance.now() - t;
  const instances = fleet.list();
  expect(instances).toHaveLength(1000);

  t = performance.now();
  const roles = new Map<string, Role>();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < instances.length) {
        const i = instances[next++]!;
        const admin = await connectAdmin({ host: i.host, port: i.port, user: 'dbfleet', password: 'x' }, TIMEOUTS, { flavorHint: 'aurora-mysql' });
        roles.set(i.id, await admin.role());
        await admin.close();
      }
    }),
  );
  const probeMs = performance.now() - t;

  expect(instances.every((i) => roles.get(i.id) === i.role)).toBe(true);
  expect([...roles.values()].filter((r) => r === 'writer')).toHaveLength(250);
  const stats = fleet.stats();
  expect(stats).toMatchObject({ instances: 1000, listening: 1000, handshakes: 1000, queries: 2000, queryErrors: 0 });
  console.log(
    `fake-mysql load check: started 1,000 instances in ${startMs.toFixed(0)} ms; ` +
      `connected + version query + role query + close on each, ${IN_FLIGHT} in flight, in ${probeMs.toFixed(0)} ms ` +
      `(${((1000 * 1000) / probeMs).toFixed(0)} instances/s); RSS of this process (fake and mysql2 clients together) ${stats.process.rssMb} MB`,
  );
});
