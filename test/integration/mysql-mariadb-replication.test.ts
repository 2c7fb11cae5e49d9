/**
 * The admin layer against two real MariaDB servers, a source and a replica: version detection,
 * roles, binlog coordinates, replication by position and by GTID, waits, stop and reset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { TimeoutError } from '../../src/core/errors.js';
import type { MysqlAdmin, ReplicaStatus, Timeouts } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { FlavorMismatchError, MysqlErrorCode } from '../../src/mysql/mysql-errors.js';
import { TEST_ENGINES } from '../support/engines.js';
import { ServerFixture, type TestServer } from './mysql-fixture.js';

const TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 };
// Quotes, backslash and a percent sign: the password must survive escaping intact.
const REPL_PASSWORD = `r3pl'pa\\ss%"word`;

async function until<T>(what: string, boundMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// MariaDB only (its GTID flavour, gtid_slave_pos, MASTER_GTID_WAIT); mysql-mysql97-replication is
// MySQL 9.7's. Runs unless DBFLEET_TEST_ENGINES leaves MariaDB out.
describe.skipIf(!TEST_ENGINES.includes('mariadb'))('MariaDB admin: source and replica (mariadb)', () => {
  let fixture: ServerFixture;
  let sourceServer: TestServer;
  let replicaServer: TestServer;
  let source: MysqlAdmin;
  let replica: MysqlAdmin;
  const logLines: string[] = [];

  beforeAll(async () => {
    fixture = await ServerFixture.create('mariadb');
    [sourceServer, replicaServer] = await Promise.all([fixture.start('source', 1), fixture.start('replica', 2)]);
    await sourceServer.root(`CREATE USER 'repl'@'%' IDENTIFIED BY '${REPL_PASSWORD.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
    await sourceServer.root(`GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'`);
    await sourceServer.root('CREATE DATABASE app');
    await sourceServer.root('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    source = await connectAdmin(sourceServer.endpoint(), TIMEOUTS, { logger });
    replica = await connectAdmin(replicaServer.endpoint({ socketPath: replicaServer.socket }), TIMEOUTS, { flavorHint: 'mariadb', logger });
  });

  afterAll(async () => {
    await source?.close();
    await replica?.close();
    await fixture?.destroy();
  });

  async function replicaRunning(): Promise<ReplicaStatus> {
    return until('replica threads running', 10_000, async () => {
      const s = await replica.replicaStatus();
      if (s && s.ioRunning === 'yes' && s.sqlRunning) return s;
      if (s?.lastIoError || s?.lastSqlError) throw new Error(`replication failed: ${s.lastIoError} ${s.lastSqlError}`);
      return undefined;
    });
  }

  it('detects MariaDB from the real version variables, over TCP and over the socket', async () => {
    for (const admin of [source, replica]) {
      expect(admin.version.flavor).toBe('mariadb');
      expect(admin.version.major).toBe(10);
      expect(admin.version.minor).toBeGreaterThanOrEqual(4);
      expect(admin.version.raw).toMatch(/MariaDB/);
    }
    expect(replica.endpoint.socketPath).toBe(replicaServer.socket);
    expect(JSON.stringify(replica.endpoint)).not.toContain('password');
  });

  it('refuses a server whose flavour differs from the configured engine', async () => {
    await expect(connectAdmin(sourceServer.endpoint(), TIMEOUTS, { flavorHint: 'aurora-mysql' })).rejects.toBeInstanceOf(FlavorMismatchError);
  });

  it('reads the role from @@read_only and sets read_only both ways', async () => {
    expect(await source.role()).toBe('writer');
    await replica.setReadOnly(true);
    expect(await replica.role()).toBe('reader');
    expect(await replicaServer.root('SELECT @@read_only AS ro')).toEqual([{ ro: 1 }]);
    await replica.setReadOnly(false);
    expect(await replica.role()).toBe('writer');
    // A read-only replica still applies replication: leave it that way for the rest.
    await replica.setReadOnly(true);
  });

  it('reports no replica status on a server that replicates from nobody', async () => {
    expect(await source.replicaStatus()).toBeNull();
  });

  it('reads the source binlog position with its GTID position', async () => {
    const pos = await source.binlogPosition();
    expect(pos.file).toMatch(/^bin\.\d{6}$/);
    expect(pos.position).toBeGreaterThan(4);
    const [gtid] = await sourceServer.root('SELECT @@gtid_binlog_pos AS g');
    expect(pos.gtidSet).toBe(gtid?.['g']);
    expect(pos.gtidSet).toMatch(/^0-1-\d+$/);
  });

  it('reads a busy source\'s position (commits back to back), each GTID paired with its exact offset', async () => {
    await sourceServer.root('CREATE TABLE app.busy (id INT AUTO_INCREMENT PRIMARY KEY, v INT)');
    const writer = await connectAdmin(sourceServer.endpoint(), TIMEOUTS);
    let writing = true;
    const loop = (async () => {
      while (writing) await writer.session.query('INSERT INTO app.busy (v) VALUES (1)');
    })();
    const seen: { file: string; position: number; gtidSet: string }[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const p = await source.binlogPosition();
        seen.push({ file: p.file, position: p.position, gtidSet: p.gtidSet ?? '' });
      }
    } finally {
      writing = false;
      await loop;
      await writer.close();
    }
    // the next transaction after each offset read is the one after its GTID: read from the binlog itself
    for (const p of seen.slice(0, 5)) {
      const seq = Number(/^0-1-(\d+)$/.exec(p.gtidSet)?.[1]);
      const events = await sourceServer.root(`SHOW BINLOG EVENTS IN '${p.file}' FROM ${p.position} LIMIT 1`);
      expect(String(events[0]?.['Info'])).toContain(`GTID 0-1-${seq + 1}`);
    }
  });

  it('replicates by binlog position, and waitForPosition returns once the change is applied', async () => {
    const start = await source.binlogPosition();
    // The table was created before `start`: create it on the replica by hand.
    await replicaServer.root('CREATE DATABASE app');
    await replicaServer.root('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
    await replica.changeSource({ kind: 'position', host: sourceServer.host, port: 3306, user: 'repl', password: REPL_PASSWORD, file: start.file, position: start.position });
    await replica.startReplica();
    const status = await replicaRunning();
    expect(status.sourceHost).toBe(sourceServer.host);
    expect(status.sourcePort).toBe(3306);
    expect(status.usingGtid).toBe(false);
    expect(status.sourceLogFile).toBe(start.file);

    await sourceServer.root("INSERT INTO app.t VALUES (1, 'by-position')");
    const after = await source.binlogPosition();
    expect(after.position).toBeGreaterThan(start.position);
    await replica.waitForPosition({ file: after.file, position: after.position }, 5_000);
    expect(await replicaServer.root('SELECT v FROM app.t WHERE id = 1')).toEqual([{ v: 'by-position' }]);

    const applied = await replica.replicaStatus();
    expect(applied?.relaySourceLogFile).toBe(after.file);
    expect(applied?.execSourceLogPos).toBeGreaterThanOrEqual(after.position);
    expect(applied?.readSourceLogPos).toBeGreaterThanOrEqual(after.position);
    expect(applied?.secondsBehind).toBe(0);
    // MariaDB fills Gtid_IO_Pos only in GTID mode; Gtid_Slave_Pos advances either way.
    expect(applied?.gtidExecuted).toBe(after.gtidSet);
    expect(applied?.gtidRetrieved).toBe('');
  });

  it('waitForPosition throws TimeoutError when the position is never reached', async () => {
    const now = await source.binlogPosition();
    const err = await replica.waitForPosition({ file: now.file, position: now.position + 1_000_000_000 }, 1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    // the server's own wait answered (the admin records how long): not the session's timeout
    expect(Number((err as TimeoutError).details['waitedMs'])).toBeGreaterThanOrEqual(900);
    // The session survives a wait that timed out on the server side.
    expect(await replica.role()).toBe('reader');
  });

  it('switches the replica to GTID (slave_pos) with a start GTID, and waitForGtid sees new writes', async () => {
    await replica.stopReplica();
    const stopped = await replica.replicaStatus();
    expect(stopped?.ioRunning).toBe('no');
    expect(stopped?.sqlRunning).toBe(false);
    const [applied] = await replicaServer.root('SELECT @@gtid_slave_pos AS g');
    const startGtid = String(applied?.['g']);
    expect(startGtid).toBe((await source.binlogPosition()).gtidSet);

    await replica.changeSource({ kind: 'gtid', host: sourceServer.host, port: 3306, user: 'repl', password: REPL_PASSWORD, startGtid });
    await replica.startReplica();
    const status = await replicaRunning();
    expect(status.usingGtid).toBe(true);

    await sourceServer.root("INSERT INTO app.t VALUES (2, 'by-gtid')");
    const after = await source.binlogPosition();
    await replica.waitForGtid(after.gtidSet ?? '', 5_000);
    expect(await replicaServer.root('SELECT v FROM app.t WHERE id = 2')).toEqual([{ v: 'by-gtid' }]);
    const s = await replica.replicaStatus();
    expect(s?.gtidExecuted).toBe(after.gtidSet);
    expect(s?.gtidRetrieved).toBe(after.gtidSet);
  });

  it('waitForGtid throws TimeoutError for a GTID that never comes', async () => {
    const err = await replica.waitForGtid('0-1-999999', 800).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    // the server's own wait answered (the admin records how long): not the session's timeout
    expect(Number((err as TimeoutError).details['waitedMs'])).toBeGreaterThanOrEqual(700);
  });

  it('stops and resets replication; waiting for a position then fails at once, not after the timeout', async () => {
    await replica.stopReplica();
    await replica.resetReplicaAll();
    expect(await replica.replicaStatus()).toBeNull();
    const now = await source.binlogPosition();
    const err = await replica.waitForPosition(now, 5_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: MysqlErrorCode.replicationNotRunning });
  });

  it('never wrote the replication password to the log, and logged every change', () => {
    const all = logLines.join('');
    expect(all).not.toContain(REPL_PASSWORD);
    expect(all).not.toContain('pa\\\\ss');
    expect(all).toContain('change source to');
    expect(all).toContain('MASTER_PASSWORD = \'***\'');
  });
});
