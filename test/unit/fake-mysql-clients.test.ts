import { connect as netConnect } from 'node:net';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFleet } from '../../bench/lib/fake-mysql/fake-fleet.js';
import type { FakeInstanceInfo } from '../../bench/lib/fake-mysql/types.js';
import { Capability, frame, PacketReader } from '../../bench/lib/fake-mysql/wire.js';
import { TimeoutError } from '../../src/core/errors.js';
import type { Endpoint, Timeouts } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { MysqlErrorCode } from '../../src/mysql/mysql-errors.js';
import { VERSION_QUERY } from '../../src/mysql/server-version.js';

/**
 * The scale benchmark's stand-in instances, spoken to by real clients: mysql2 and dbfleet's own
 * adapter (connectAdmin, role). Cluster c1 is Aurora MySQL 3, c2 MySQL 8.0.
 */

const TIMEOUTS: Timeouts = { connectTimeoutMs: 600, queryTimeoutMs: 400 };
/** openSession's outer deadline grace plus scheduling slack on a busy 2-core machine. */
const SLACK_MS = 250 + 600;

let fleet: FakeFleet;
let aurora: FakeInstanceInfo[];
let mysql80: FakeInstanceInfo[];

beforeAll(async () => {
  fleet = await FakeFleet.start({ clusters: 2, instancesPerCluster: 2, addressing: { kind: 'loopback-addresses', secondOctet: 241, port: 3306 } });
  await fleet.set({ clusters: ['c2'] }, { flavour: 'mysql-8.0' });
  aurora = fleet.list({ clusters: ['c1'] });
  mysql80 = fleet.list({ clusters: ['c2'] });
});

afterAll(async () => {
  await fleet?.close();
});

function endpoint(i: FakeInstanceInfo): Endpoint {
  return { host: i.host, port: i.port, user: 'dbfleet', password: 'any password will do' };
}

describe('mysql2 against the fake', () => {
  it('connects and runs the version and role queries, ping and SELECT 1', async () => {
    const [writer] = aurora;
    const c = await mysql.createConnection({ host: writer!.host, port: writer!.port, user: 'x', password: 'y' });
    try {
      const [versionRows] = await c.query(VERSION_QUERY);
      expect(versionRows).toEqual([
        { Variable_name: 'aurora_version', Value: '3.05.2' },
        { Variable_name: 'version', Value: '8.0.32' },
        { Variable_name: 'version_comment', Value: 'Source distribution' },
      ]);
      const [roleRows] = await c.query('SELECT @@innodb_read_only AS ro');
      expect(roleRows).toEqual([{ ro: 0 }]);
      const [one] = await c.query('SELECT 1');
      expect(one).toEqual([{ '1': 1 }]);
      await c.ping();
      await expect(c.query('SELECT * FROM mysql.user')).rejects.toMatchObject({ errno: 1235 });
      // An ERR leaves the connection usable, as on a real server.
      await expect(c.query('SELECT @@read_only AS ro')).resolves.toBeDefined();
    } finally {
      await c.end();
    }
  });

  it('reports MySQL 8.0 without @@aurora_version', async () => {
    const c = await mysql.createConnection({ host: mysql80[1]!.host, port: 3306, user: 'x' });
    try {
      const [rows] = await c.query(VERSION_QUERY);
      expect(rows).toEqual([
        { Variable_name: 'version', Value: '8.0.36' },
        { Variable_name: 'version_comment', Value: 'MySQL Community Server - GPL' },
      ]);
      await expect(c.query('SELECT @@aurora_version')).rejects.toMatchObject({ errno: 1193 });
      const [role] = await c.query('SELECT @@read_only AS ro');
      expect(role).toEqual([{ ro: 1 }]);
    } finally {
      await c.end();
    }
  });
});

describe('dbfleet connectAdmin against the fake', () => {
  it('detects Aurora 3, reads writer/reader as set, and follows a runtime role change', async () => {
    const [w, r] = aurora;
    const writer = await connectAdmin(endpoint(w!), TIMEOUTS, { flavorHint: 'aurora-mysql' });
    const reader = await connectAdmin(endpoint(r!), TIMEOUTS, { flavorHint: 'aurora-mysql' });
    try {
      expect(writer.version).toMatchObject({ flavor: 'aurora-mysql', major: 8, minor: 0, auroraVersion: '3.05.2' });
      expect(await writer.role()).toBe('writer');
      expect(await reader.role()).toBe('reader');

      await fleet.promote(r!.id);
      expect(await writer.role()).toBe('reader');
      expect(await reader.role()).toBe('writer');
    } finally {
      await fleet.promote(w!.id);
      await writer.close();
      await reader.close();
    }
  });

  it('reads the role of a MySQL 8.0 instance through @@read_only', async () => {
    const admin = await connectAdmin(endpoint(mysql80[1]!), TIMEOUTS, { flavorHint: 'mysql' });
    try {
      expect(admin.version).toMatchObject({ flavor: 'mysql', major: 8, minor: 0, patch: 36 });
      expect(await admin.role()).toBe('reader');
    } finally {
      await admin.close();
    }
  });

  it("'down' refuses new connections and closes open ones", async () => {
    const target = aurora[1]!;
    const admin = await connectAdmin(endpoint(target), TIMEOUTS);
    try {
      await fleet.set({ ids: [target.id] }, { mode: 'down' });
      await expect(connectAdmin(endpoint(target), TIMEOUTS)).rejects.toMatchObject({ code: MysqlErrorCode.connect, details: { mysqlCode: 'ECONNREFUSED' } });
      await expect(admin.role()).rejects.toMatchObject({ retryable: true });
    } finally {
      admin.session.destroy();
      await fleet.set({ ids: [target.id] }, { mode: 'up' });
    }
    const again = await connectAdmin(endpoint(target), TIMEOUTS);
    expect(await again.role()).toBe('reader');
    await again.close();
  });

  it("'hang' fails dbfleet's query with TimeoutError within the query timeout, and a new connect too", async () => {
    const target = aurora[0]!;
    const admin = await connectAdmin(endpoint(target), TIMEOUTS);
    try {
      await fleet.set({ ids: [target.id] }, { mode: 'hang' });
      let started = performance.now();
      await expect(admin.role()).rejects.toBeInstanceOf(TimeoutError);
      expect(performance.now() - started).toBeLessThan(TIMEOUTS.queryTimeoutMs + SLACK_MS);

      started = performance.now();
      await expect(connectAdmin(endpoint(target), TIMEOUTS)).rejects.toBeInstanceOf(TimeoutError);
      expect(performance.now() - started).toBeLessThan(TIMEOUTS.connectTimeoutMs + SLACK_MS);
    } finally {
      admin.session.destroy();
      await fleet.set({ ids: [target.id] }, { mode: 'up' });
    }
    const again = await connectAdmin(endpoint(target), TIMEOUTS);
    expect(await again.role()).toBe('writer');
    await again.close();
  });

  it("'refuse-new' keeps open connections working while new ones are refused", async () => {
    const target = mysql80[0]!;
    const admin = await connectAdmin(endpoint(target), TIMEOUTS);
    try {
      await fleet.set({ ids: [target.id] }, { mode: 'refuse-new' });
      await expect(connectAdmin(endpoint(target), TIMEOUTS)).rejects.toMatchObject({ code: MysqlErrorCode.connect });
      expect(await admin.role()).toBe('writer');
    } finally {
      await fleet.set({ ids: [target.id] }, { mode: 'up' });
      await admin.close();
    }
  });
});

describe('handshake', () => {
  it('asks a client that answers with another auth plugin to switch to mysql_native_password', async () => {
    const target = aurora[0]!;
    const socket = netConnect({ host: target.host, port: target.port });
    const reader = new PacketReader();
    const packets: { seq: number; payload: Buffer }[] = [];
    const waiters: (() => void)[] = [];
    socket.on('data', (chunk: Buffer) =>
      reader.push(chunk, (seq, payload) => {
        packets.push({ seq, payload: Buffer.from(payload) });
        waiters.shift()?.();
      }),
    );
    const next = async (): Promise<{ seq: number; payload: Buffer }> => {
      if (packets.length === 0) await new Promise<void>((r) => waiters.push(r));
      return packets.shift()!;
    };
    try {
      const hello = await next();
      expect(hello.payload[0]).toBe(10);
      const flags = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH;
      const head = Buffer.alloc(32);
      head.writeUInt32LE(flags, 0);
      head.writeUInt32LE(1 << 24, 4);
      head[8] = 255;
      const login = Buffer.concat([head, Buffer.from('u\0'), Buffer.from([32]), Buffer.alloc(32, 1), Buffer.from('caching_sha2_password\0')]);
      socket.write(frame(1, login));
      const switchRequest = await next();
      expect(switchRequest.seq).toBe(2);
      expect(switchRequest.payload[0]).toBe(0xfe);
      expect(switchRequest.payload.toString('latin1', 1, 22)).toBe('mysql_native_password');
      socket.write(frame(3, Buffer.alloc(20, 7)));
      const ok = await next();
      expect(ok).toMatchObject({ seq: 4 });
      expect(ok.payload[0]).toBe(0x00);
    } finally {
      socket.destroy();
    }
  });
});
