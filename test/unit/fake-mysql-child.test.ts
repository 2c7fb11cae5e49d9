import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleControlLine } from '../../bench/lib/fake-mysql/control.js';
import { FakeFleet } from '../../bench/lib/fake-mysql/fake-fleet.js';
import { spawnFakeFleet, type FakeFleetChild } from '../../bench/lib/fake-mysql/fleet-child.js';

/**
 * The fake fleet as the scale benchmark runs it: a child process (so the checker's CPU and RSS are
 * measured apart from it), driven over its stdin/stdout line protocol.
 */

const ADDRESSING = { kind: 'loopback-addresses', secondOctet: 243, port: 3306 } as const;

describe('fleet-process as a child', () => {
  let child: FakeFleetChild;

  beforeAll(async () => {
    child = await spawnFakeFleet({ clusters: 2, instancesPerCluster: 2, addressing: ADDRESSING });
  });

  afterAll(async () => {
    await child?.shutdown();
  });

  async function readOnly(host: string): Promise<unknown> {
    const c = await mysql.createConnection({ host, port: 3306, user: 'bench', connectTimeout: 2_000 });
    try {
      const [rows] = await c.query('SELECT @@innodb_read_only AS ro');
      return (rows as { ro: unknown }[])[0]?.ro;
    } finally {
      c.destroy();
    }
  }

  it('reports its instances when ready, and answers on their addresses', async () => {
    expect(child.pid).toBeGreaterThan(0);
    expect(child.instances.map((i) => `${i.id} ${i.host}:${i.port} ${i.role}`)).toEqual([
      'c1-i1 127.243.1.1:3306 writer',
      'c1-i2 127.243.1.2:3306 reader',
      'c2-i1 127.243.1.3:3306 writer',
      'c2-i2 127.243.1.4:3306 reader',
    ]);
    expect(await readOnly('127.243.1.2')).toBe(1);
  });

  it('takes role and mode changes over the control protocol and reports stats', async () => {
    await child.promote('c1-i2');
    expect(await readOnly('127.243.1.2')).toBe(0);
    expect(await readOnly('127.243.1.1')).toBe(1);

    expect(await child.set({ clusters: ['c2'] }, { mode: 'down' })).toBe(2);
    await expect(readOnly('127.243.1.3')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await child.set({ all: true }, { mode: 'up' });
    expect(await readOnly('127.243.1.3')).toBe(0);

    const stats = await child.stats();
    expect(stats).toMatchObject({ instances: 4, listening: 4, byMode: { up: 4 }, byRole: { writer: 2, reader: 2 } });
    expect(stats.queries).toBeGreaterThanOrEqual(4);
    expect(stats.process.pid).toBe(child.pid);
    await expect(child.set({ ids: ['c9-i9'] }, { mode: 'hang' })).rejects.toThrow(/no instance "c9-i9"/);
  });

  it('fails to start with the bad field named', async () => {
    await expect(spawnFakeFleet({ clusters: -1 })).rejects.toThrow(/config: clusters/);
  });
});

describe('control protocol', () => {
  it('answers malformed requests with ok:false and the problem, never by throwing', async () => {
    const fleet = await FakeFleet.start({ clusters: 1, instancesPerCluster: 1, addressing: { ...ADDRESSING, secondOctet: 244 } });
    try {
      expect((await handleControlLine(fleet, 'nope')).response).toEqual({ ok: false, error: 'not a JSON object' });
      expect((await handleControlLine(fleet, '{"id":3,"cmd":"set","select":{"all":true},"mode":"sleepy"}')).response).toMatchObject({
        id: 3,
        ok: false,
        error: expect.stringMatching(/^bad request: mode/),
      });
      const shutdown = await handleControlLine(fleet, '{"id":"x","cmd":"shutdown"}');
      expect(shutdown).toEqual({ response: { id: 'x', ok: true, result: {} }, shutdown: true });
    } finally {
      await fleet.close();
    }
  });
});
