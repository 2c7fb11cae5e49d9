/**
 * The admin layer against real MySQL 8.0 and 8.4 (the dialects MariaDB cannot exercise:
 * CHANGE REPLICATION SOURCE, SOURCE_AUTO_POSITION, SHOW BINARY LOG STATUS, super_read_only,
 * WAIT_FOR_EXECUTED_GTID_SET), in containers where a Docker engine exists. Elsewhere the whole
 * file is skipped after one short probe, with one line saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/core/errors.js';
import type { MysqlAdmin, ReplicaStatus, Timeouts } from '../../src/mysql/admin.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';

const IMAGES = ['mysql:8.0', 'mysql:8.4'] as const;
const PROBE_BOUND_MS = 3_000;
const ROOT_PASSWORD = 'root-Pw-1';
const REPL_PASSWORD = "r3pl'Pw\\x";
const TIMEOUTS: Timeouts = { connectTimeoutMs: 3_000, queryTimeoutMs: 10_000 };

/** Undefined when a container runtime answers; otherwise why not. */
async function probeContainerRuntime(): Promise<string | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_BOUND_MS} ms`)), PROBE_BOUND_MS);
    });
    try {
      await Promise.race([getContainerRuntimeClient(), bound]);
    } finally {
      clearTimeout(timer);
    }
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
}

const unavailable = await probeContainerRuntime();
if (unavailable !== undefined) {
  console.log(`mysql-containers: skipped (MySQL 8.0/8.4 suite needs a Docker engine): ${unavailable}`);
}

async function until<T>(what: string, boundMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(unavailable !== undefined)('MySQL admin in containers', () => {
  for (const image of IMAGES) {
    describe(image, () => {
      type Started = import('testcontainers').StartedTestContainer;
      let network: import('testcontainers').StartedNetwork;
      let sourceContainer: Started;
      let replicaContainer: Started;
      let source: MysqlAdmin;
      let replica: MysqlAdmin;

      beforeAll(async () => {
        const { GenericContainer, Network, Wait } = await import('testcontainers');
        network = await new Network().start();
        const mysqld = (alias: string, serverId: number): Promise<Started> =>
          new GenericContainer(image)
            .withNetwork(network)
            .withNetworkAliases(alias)
            .withEnvironment({ MYSQL_ROOT_PASSWORD: ROOT_PASSWORD })
            .withCommand([`--server-id=${serverId}`, '--log-bin=binlog', '--gtid-mode=ON', '--enforce-gtid-consistency=ON'])
            .withExposedPorts(3306)
            // The entrypoint runs a temporary server (port: 0) first; wait for the real one.
            .withWaitStrategy(Wait.forLogMessage(/ready for connections.*port: 3306/))
            .withStartupTimeout(180_000)
            .start();
        [sourceContainer, replicaContainer] = await Promise.all([mysqld('source', 1), mysqld('replica', 2)]);
        const endpoint = (c: Started) => ({ host: c.getHost(), port: c.getMappedPort(3306), user: 'root', password: ROOT_PASSWORD });
        source = await connectAdmin(endpoint(sourceContainer), TIMEOUTS, { flavorHint: 'mysql' });
        replica = await connectAdmin(endpoint(replicaContainer), TIMEOUTS, { flavorHint: 'mysql' });
        await source.session.execute('CREATE USER ?@? IDENTIFIED BY ?', ['repl', '%', REPL_PASSWORD]);
        await source.session.execute("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'");
        await source.session.execute('CREATE DATABASE app');
        await source.session.execute('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
      }, 300_000);

      afterAll(async () => {
        await source?.close();
        await replica?.close();
        await replicaContainer?.stop();
        await sourceContainer?.stop();
        await network?.stop();
      });

      async function running(): Promise<ReplicaStatus> {
        return until('replica threads running', 30_000, async () => {
          const s = await replica.replicaStatus();
          if (s && s.ioRunning === 'yes' && s.sqlRunning) return s;
          if (s?.lastIoError || s?.lastSqlError) throw new Error(`replication failed: ${s.lastIoError} ${s.lastSqlError}`);
          return undefined;
        });
      }

      it('detects MySQL and its dialect', () => {
        expect(source.version.flavor).toBe('mysql');
        expect(source.version.major).toBe(8);
        expect(source.version.minor).toBe(image === 'mysql:8.4' ? 4 : 0);
      });

      it('reads the role and sets read_only with super_read_only', async () => {
        expect(await source.role()).toBe('writer');
        await replica.setReadOnly(true);
        expect(await replica.role()).toBe('reader');
        expect(await replica.session.query('SELECT @@super_read_only AS s')).toEqual([{ s: 1 }]);
        await replica.setReadOnly(false);
        expect(await replica.session.query('SELECT @@super_read_only AS s')).toEqual([{ s: 0 }]);
        await replica.setReadOnly(true);
      });

      it('reads the binlog position with Executed_Gtid_Set (SHOW BINARY LOG STATUS on 8.4)', async () => {
        const pos = await source.binlogPosition();
        expect(pos.file).toMatch(/^binlog\.\d{6}$/);
        expect(pos.position).toBeGreaterThan(4);
        expect(pos.gtidSet).toMatch(/^[0-9a-f-]{36}:1-\d+$/);
      });

      it('replicates with GTID auto-positioning; both waits return once applied', async () => {
        await replica.changeSource({ kind: 'gtid', host: 'source', port: 3306, user: 'repl', password: REPL_PASSWORD });
        await replica.startReplica();
        const status = await running();
        expect(status).toMatchObject({ sourceHost: 'source', sourcePort: 3306, usingGtid: true });
        await source.session.execute("INSERT INTO app.t VALUES (1, 'by-gtid')");
        const after = await source.binlogPosition();
        await replica.waitForGtid(after.gtidSet ?? '', 10_000);
        await replica.waitForPosition(after, 10_000);
        expect(await replica.session.query('SELECT v FROM app.t WHERE id = 1')).toEqual([{ v: 'by-gtid' }]);
        const applied = await replica.replicaStatus();
        expect(applied?.gtidExecuted).toContain(after.gtidSet ?? 'missing');
        expect(applied?.execSourceLogPos).toBeGreaterThanOrEqual(after.position);
      });

      it('waits time out with TimeoutError', async () => {
        const now = await source.binlogPosition();
        await expect(replica.waitForPosition({ file: now.file, position: now.position + 1_000_000_000 }, 1_000)).rejects.toBeInstanceOf(TimeoutError);
        await expect(replica.waitForGtid('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5', 1_000)).rejects.toBeInstanceOf(TimeoutError);
      });

      it('stops and resets replication', async () => {
        await replica.stopReplica();
        expect(await replica.replicaStatus()).toMatchObject({ ioRunning: 'no', sqlRunning: false });
        await replica.resetReplicaAll();
        expect(await replica.replicaStatus()).toBeNull();
      });
    });
  }
});
