import { LocalHost } from '../../src/host/local-host.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';
import type { SqlSession } from '../../src/mysql/admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { initSchema } from '../../src/dns/schema-init.js';
import { startPowerDns, stopPowerDns, type PowerDnsProcess } from '../../src/dns/pdns-process.js';
import { makeTempDir, randomLoopback } from '../support/temp-dir.js';

/**
 * A real MyDNS database (its own mariadbd on a random 127.53.x.y) and, on demand, a real
 * pdns_server serving it on a random high loopback port. Everything started here is stopped by
 * PID in stop().
 */
export const ZONE = 'db.example.internal.';
export const DBFLEET_PASSWORD = 'dbfleet-test-secret';
export const PDNS_PASSWORD = 'pdns-read-only-secret';
export const TIMEOUTS = { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 };

export const host = new LocalHost();

export interface MydnsFixture {
  dir: string;
  spec: MysqldSpec;
  address: string;
  manager: MysqldManager;
  /** A new session as the dbfleet admin user on the mydns database. */
  session(): Promise<SqlSession>;
  /** Runs SQL as root over the socket with the mariadb client (for setting up legacy schemas). */
  rootSql(sql: string, database?: string): Promise<string>;
  startPdns(dbname?: string): Promise<PowerDnsProcess & { port: number }>;
  /** Stops the DNS database (by the PID it runs as), as an outage. */
  stopDb(): Promise<void>;
  startDb(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMydns(name: string, options: { init?: boolean } = {}): Promise<MydnsFixture> {
  const tmp = await makeTempDir(name);
  const manager = new MysqldManager(host);
  const spec: MysqldSpec = { name: 'mydns', baseDir: tmp.path, bindAddress: randomLoopback(53), port: 3306, serverId: 53, bufferPoolMb: 16, readOnly: false, runAsRoot: process.getuid?.() === 0 };
  await manager.createTemplate(
    spec,
    [
      'CREATE DATABASE mydns;',
      `CREATE USER 'dbfleet'@'%' IDENTIFIED BY '${DBFLEET_PASSWORD}';`,
      "GRANT ALL PRIVILEGES ON *.* TO 'dbfleet'@'%';",
      `CREATE USER 'pdns'@'%' IDENTIFIED BY '${PDNS_PASSWORD}';`,
      "GRANT SELECT ON mydns.* TO 'pdns'@'%';",
    ].join('\n'),
  );
  const pids: { db?: number | undefined; pdns: { pid: number; dir: string }[] } = { pdns: [] };
  pids.db = (await manager.start(spec)).pid;
  const session = (): Promise<SqlSession> => openSession({ host: spec.bindAddress, port: spec.port, user: 'dbfleet', password: DBFLEET_PASSWORD, database: 'mydns' }, TIMEOUTS);
  if (options.init !== false) {
    const s = await session();
    await initSchema(s, { zone: ZONE });
    await s.close();
  }
  let pdnsCount = 0;
  return {
    dir: tmp.path,
    spec,
    address: spec.bindAddress,
    manager,
    session,
    async rootSql(sql: string, database?: string): Promise<string> {
      const args = ['--no-defaults', '-S', manager.paths(spec).socket, '-uroot', '-N', '-B', ...(database ? [database] : []), '-e', sql];
      return (await host.check('mariadb', args, { timeoutMs: 10_000 })).stdout.trim();
    },
    async startPdns(dbname = 'mydns') {
      // a random high port may be taken by someone else: try a few
      let last: unknown;
      for (let attempt = 0; attempt < 4; attempt++) {
        const port = 20_000 + Math.floor(Math.random() * 40_000);
        const dir = `${tmp.path}/pdns-${pdnsCount++}`;
        try {
          const p = await startPowerDns(host, { dir, port, address: '127.0.0.1', zone: ZONE, db: { host: spec.bindAddress, port: spec.port, user: 'pdns', password: PDNS_PASSWORD, dbname } });
          pids.pdns.push({ pid: p.pid, dir });
          return { ...p, port };
        } catch (e) {
          last = e;
        }
      }
      throw last;
    },
    async stopDb() {
      if (pids.db !== undefined) await manager.stopPid(pids.db, 10_000);
      pids.db = undefined;
    },
    async startDb() {
      pids.db = (await manager.start(spec)).pid;
    },
    async stop() {
      for (const p of pids.pdns) await stopPowerDns(host, p.pid, { configDir: p.dir });
      if (pids.db !== undefined) await manager.stopPid(pids.db, 10_000);
      await tmp.remove();
    },
  };
}
