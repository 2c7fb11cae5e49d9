import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { greetingCheck } from '../../src/failover/probe/greeting-check.js';

// Scripted servers on loopback for the fault paths that are hard to cause on a real mysqld
// (the real greeting is exercised by every checker integration test against mariadbd).
const servers: Server[] = [];
async function serve(onConnection: (s: import('node:net').Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}
function packet(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  return Buffer.concat([head, payload]);
}
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('greetingCheck', () => {
  it('accepts a server that sends a v10 handshake, even in two TCP segments', async () => {
    const port = await serve((s) => {
      const p = packet(Buffer.concat([Buffer.from([0x0a]), Buffer.from('10.11.6-MariaDB\0')]));
      s.write(p.subarray(0, 3));
      setTimeout(() => s.write(p.subarray(3)), 20);
    });
    expect(await greetingCheck('127.0.0.1', port, 1_000)).toEqual({ ok: true });
  });

  it("reports the server's refusal (Too many connections) with its code", async () => {
    const port = await serve((s) => {
      const code = Buffer.alloc(2);
      code.writeUInt16LE(1040);
      s.end(packet(Buffer.concat([Buffer.from([0xff]), code, Buffer.from('Too many connections')])));
    });
    expect(await greetingCheck('127.0.0.1', port, 1_000)).toEqual({ ok: false, error: 'server refused new connections: 1040 Too many connections' });
  });

  it('never throws on a malformed or truncated first packet (one odd peer must not crash the checker)', async () => {
    for (const bytes of [[0x05, 0x00, 0x00, 0x00, 0xff], [0x01, 0x00, 0x00, 0x00, 0xff], [0x00, 0x00, 0x00, 0x00]]) {
      const port = await serve((s) => s.end(Buffer.from(bytes)));
      const r = await greetingCheck('127.0.0.1', port, 500);
      expect(r.ok).toBe(false);
    }
  });

  it('fails within its timeout when the server accepts but never greets', async () => {
    const port = await serve(() => undefined);
    const t = Date.now();
    const r = await greetingCheck('127.0.0.1', port, 200);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/no greeting .* within 200 ms/);
    expect(Date.now() - t).toBeLessThan(2_000);
  });

  it('reports a refused connection', async () => {
    const port = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    expect(await greetingCheck('127.0.0.1', port, 1_000)).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
