import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, readdir, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Resolver } from 'node:dns/promises';
import { createConnection, type Connection } from 'mysql2/promise';
import { dbfleet, dbfleetJson } from '../support/cli.js';
import { clientOf, TEST_ENGINES } from '../support/engines.js';
import { makeTempDir } from '../support/temp-dir.js';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';

interface UpDoc {
  dir: string;
  config: string;
  engine: string;
  dns: { dsn: string; server: string; zone: string };
  clusters: { name: string; writer_record: string; reader_record: string; instances: { id: string; host: string; port: number; socket: string; pid: number; role: string; engine: string; version: string }[] }[];
}
interface StatusDoc {
  healthy: boolean;
  clusters: { name: string; instances: { id: string; host: string; pid: number | null; role: string; reachable: boolean; live_role: string | null; replication: null | { source: string; io_running: string; sql_running: boolean } }[] }[];
}

let appPassword: string;

async function app(host: string): Promise<Connection> {
  return createConnection({ host, port: 3306, user: 'app', password: appPassword, database: 'app', connectTimeout: 2_000 });
}

async function countRows(host: string, client: string): Promise<number> {
  const c = await app(host);
  try {
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM writes WHERE client = ?', [client]);
    return Number((rows as { n: number }[])[0]?.n);
  } finally {
    await c.end();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of every process whose command line mentions the dir. */
async function processesUnder(d: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(d)) out.push(Number(entry));
  }
  return out;
}

describe.each(TEST_ENGINES)('dbfleet sandbox on real mysqld processes (%s)', (engine: EngineKind) => {
  let tmp: { path: string; remove: () => Promise<void> };
  let dir: string;
  let up: UpDoc;
  const dirsToDown: string[] = [];
  const upArgs = (d: string, clusters: number, readers: number): string[] => ['sandbox', 'up', '--dir', d, '--clusters', String(clusters), '--readers', String(readers), '--engine', engine];

  beforeAll(async () => {
    tmp = await makeTempDir('sbx');
    dir = join(tmp.path, 'a');
    dirsToDown.push(dir);
    up = await dbfleetJson<UpDoc>([...upArgs(dir, 2, 2), '--json']);
    appPassword = (await readFile(join(dir, 'secrets', 'app.password'), 'utf8')).trim();
  }, 120_000);

  afterAll(async () => {
    for (const d of dirsToDown) await dbfleet(['sandbox', 'down', '--dir', d]);
    await tmp?.remove();
  });

  it('up --json describes 2 clusters of a writer and 2 readers, each on its own 127.x address', async () => {
    expect(up.dir).toBe(dir);
    expect(up.engine).toBe(engine);
    for (const i of up.clusters.flatMap((c) => c.instances)) {
      expect(i.engine).toBe(engine);
      // the server's own @@version: MariaDB 10.11 from apt, or Oracle MySQL 9.7 from the prefix
      expect(i.version).toMatch(engine === 'mysql' ? /^9\.7\./ : /^10\.11\..*MariaDB/);
    }
    expect(up.clusters.map((c) => [c.name, c.writer_record, c.reader_record])).toEqual([
      ['aurora-test-1', 'aurora-test-1-w', 'aurora-test-1-r'],
      ['aurora-test-2', 'aurora-test-2-w', 'aurora-test-2-r'],
    ]);
    const all = up.clusters.flatMap((c) => c.instances);
    expect(all.map((i) => i.id)).toContain('aurora-test-2-instance-03');
    expect(new Set(all.map((i) => i.host)).size).toBe(6);
    expect(all.every((i) => /^127\.\d+\.\d+\.\d+$/.test(i.host) && i.port === 3306 && pidAlive(i.pid))).toBe(true);
    expect(up.clusters.map((c) => c.instances.map((i) => i.role))).toEqual([['writer', 'reader', 'reader'], ['writer', 'reader', 'reader']]);
    // the fleet config it wrote is valid for the rest of dbfleet
    const cfg = await readFile(up.config, 'utf8');
    expect(cfg).toContain('aurora-test-1-w');
  });

  it('registers every cluster in MyDNS and serves it through PowerDNS, as in the seed tables', async () => {
    expect(up.dns.dsn).toMatch(/^mysql:\/\/dbfleet@127\.\d+\.0\.53:3306\/mydns$/);
    expect(up.dns.zone).toBe('sandbox.dbfleet.internal.');
    const [host, port] = up.dns.server.split(':');
    const resolver = new Resolver({ timeout: 1_000, tries: 1 });
    resolver.setServers([`${host}:${port}`]);
    for (const c of up.clusters) {
      const writer = await resolver.resolve4(`${c.writer_record}.sandbox.dbfleet.internal`, { ttl: true });
      expect(writer).toEqual([{ address: c.instances[0]!.host, ttl: 1 }]);
      const readers = (await resolver.resolve4(`${c.reader_record}.sandbox.dbfleet.internal`)).sort();
      // the writer's entry in the reader record has weight 0: not answered
      expect(readers).toEqual(c.instances.slice(1).map((i) => i.host).sort());
    }
  });

  it('keeps passwords in 0600 files, never in the output or any process argument', async () => {
    const secrets = join(dir, 'secrets');
    for (const f of await readdir(secrets)) expect((await stat(join(secrets, f))).mode & 0o777).toBe(0o600);
    const passwords = await Promise.all((await readdir(secrets)).map(async (f) => (await readFile(join(secrets, f), 'utf8')).trim()));
    const out = JSON.stringify(up) + (await readFile(up.config, 'utf8'));
    for (const pid of await processesUnder(dir)) {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      for (const p of passwords) expect(cmd).not.toContain(p);
    }
    for (const p of passwords) expect(out).not.toContain(p);
  });

  it("lets root in over the unix socket without a password, with the engine's own client", async () => {
    const inst = up.clusters[0]!.instances[1]!;
    const { execFileSync } = await import('node:child_process');
    const q = (sql: string): string => execFileSync(clientOf(engine), ['--no-defaults', '-uroot', '-S', inst.socket, '-N', '-B', '-e', sql], { encoding: 'utf8' }).trim();
    expect(q('SELECT @@read_only, @@bind_address')).toBe(`1\t${inst.host}`);
    if (engine === 'mysql') {
      // readers refuse even SUPER users; replication is GTID auto-positioned
      expect(q('SELECT @@super_read_only, @@gtid_mode, @@enforce_gtid_consistency')).toBe('1\tON\tON');
      const status = execFileSync(clientOf(engine), ['--no-defaults', '-uroot', '-S', inst.socket, '-E', '-e', 'SHOW REPLICA STATUS'], { encoding: 'utf8' });
      expect(status).toMatch(/Auto_Position: 1/);
      // a copy of the template datadir gets its own server_uuid
      const uuids = new Set(
        up.clusters[0]!.instances.map((i) => execFileSync(clientOf(engine), ['--no-defaults', '-uroot', '-S', i.socket, '-N', '-B', '-e', 'SELECT @@server_uuid'], { encoding: 'utf8' }).trim()),
      );
      expect(uuids.size).toBe(3);
      // root@localhost is the socket peer's OS user (auth_socket), never an empty password
      const { userInfo } = await import('node:os');
      expect(q("SELECT host, plugin, authentication_string FROM mysql.user WHERE user = 'root'")).toBe(`localhost\tauth_socket\t${userInfo().username}`);
    }
  });

  it('replicates writes from each writer to its readers; the DML-only app user cannot write on a reader', async () => {
    for (const cluster of up.clusters) {
      const [writer, ...readers] = cluster.instances;
      const c = await app(writer!.host);
      for (let i = 0; i < 20; i++) await c.query('INSERT INTO writes (client, seq) VALUES (?, ?)', [`repl-${cluster.name}`, i]);
      await c.end();
      for (const r of readers) await waitFor(`${r.id} to have 20 rows`, async () => (await countRows(r.host, `repl-${cluster.name}`)) === 20);
      const rc = await app(readers[0]!.host);
      await expect(rc.query('INSERT INTO writes (client, seq) VALUES (?, ?)', ['nope', 1])).rejects.toThrow(/read-only/);
      await rc.end();
    }
  });

  it('status --json reads live roles, reachability and replication from the servers', async () => {
    const s = await dbfleetJson<StatusDoc>(['sandbox', 'status', '--dir', dir, '--json']);
    expect(s.healthy).toBe(true);
    for (const c of s.clusters) {
      const writer = c.instances[0]!;
      expect(writer.live_role).toBe('writer');
      for (const r of c.instances.slice(1)) {
        expect(r).toMatchObject({ reachable: true, live_role: 'reader', replication: { source: `${writer.host}:3306`, io_running: 'yes', sql_running: true } });
      }
    }
  });

  it('refuses a second up on the same dir with exit 2 and leaves the running sandbox alone', async () => {
    const r = await dbfleet(upArgs(dir, 1, 0));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already running in/);
    const s = await dbfleetJson<StatusDoc>(['sandbox', 'status', '--dir', dir, '--json']);
    expect(s.healthy).toBe(true);
  });

  it('failover promotes a reader with no acknowledged write lost, the others follow, the old writer returns as a reader', async () => {
    const cluster = up.clusters[0]!;
    const [oldWriter, candidate, other] = cluster.instances;
    // A writer runs through the failover; it records which inserts the server acknowledged.
    const acknowledged: number[] = [];
    let running = true;
    let writerHost = oldWriter!.host;
    const writerLoop = (async () => {
      let seq = 0;
      while (running) {
        seq += 1;
        try {
          const c = await app(writerHost);
          try {
            await c.query('INSERT INTO writes (client, seq) VALUES (?, ?)', ['failover', seq]);
            acknowledged.push(seq);
          } finally {
            c.destroy();
          }
        } catch {
          /* unavailable during the failover: not acknowledged */
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor('some writes before the failover', async () => acknowledged.length >= 10);
    const report = await dbfleetJson<{ old_writer: string; new_writer: string; timeline: { stage: string; t_ms: number }[] }>([
      'sandbox', 'failover', 'aurora-test-1', '--dir', dir, '--json',
    ]);
    writerHost = candidate!.host;
    await waitFor('writes on the new writer', async () => acknowledged.length >= 20 && (await countRows(candidate!.host, 'failover')) > 0);
    const before = acknowledged.length;
    await waitFor('more writes after the switch', async () => acknowledged.length >= before + 10);
    running = false;
    await writerLoop;

    expect(report.old_writer).toBe(oldWriter!.id);
    expect(report.new_writer).toBe(candidate!.id);
    expect(report.timeline.map((s) => s.stage)).toEqual([
      'start', 'writer-read-only', 'readers-caught-up', 'writer-down', 'candidate-restarting', 'candidate-writer', 'readers-follow', 'old-writer-returns',
    ]);

    const s = await dbfleetJson<StatusDoc>(['sandbox', 'status', '--dir', dir, '--json']);
    expect(s.healthy).toBe(true);
    const byId = new Map(s.clusters[0]!.instances.map((i) => [i.id, i]));
    expect(byId.get(candidate!.id)).toMatchObject({ role: 'writer', live_role: 'writer' });
    for (const id of [oldWriter!.id, other!.id]) {
      expect(byId.get(id)).toMatchObject({ role: 'reader', live_role: 'reader', replication: { source: `${candidate!.host}:3306`, io_running: 'yes', sql_running: true } });
    }
    // every acknowledged write is on the new writer and, once replicated, on every instance
    const c = await app(candidate!.host);
    const [rows] = await c.query('SELECT seq FROM writes WHERE client = ?', ['failover']);
    await c.end();
    const present = new Set((rows as { seq: number }[]).map((r) => Number(r.seq)));
    expect(acknowledged.filter((seq) => !present.has(seq))).toEqual([]);
    for (const inst of [oldWriter!, other!]) {
      await waitFor(`${inst.id} to catch up`, async () => (await countRows(inst.host, 'failover')) === present.size);
    }
  });

  it('reports a taken address as a clear failure (exit 1) and leaves nothing running', async () => {
    // 247-249 (MariaDB) and 251-253 (MySQL): outside the automatic range (100-239) and the fake
    // fleets' octets (241-246, 250), and apart per engine since both describe blocks may run at once
    const slot = (engine === 'mysql' ? 251 : 247) + Math.floor(Math.random() * 3);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(3306, `127.${slot}.1.2`, r));
    const d = join(tmp.path, 'clash');
    try {
      const r = await dbfleet([...upArgs(d, 1, 1), '--slot', String(slot)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/aurora-test-1-instance-02 exited during start-up: .*(Address already in use|bind)/i);
      // an instance still starting when the clash was seen must not come up after the cleanup
      await new Promise((res) => setTimeout(res, 2_000));
      expect(await processesUnder(d)).toEqual([]);
      await expect(stat(join(d, 'sandbox.json'))).rejects.toThrow(/ENOENT/);
    } finally {
      blocker.close();
    }
  });

  it('names a missing server binary (exit 2) without starting anything', async () => {
    const d = join(tmp.path, 'nobin');
    const r = await dbfleet(upArgs(d, 1, 0), { env: { DBFLEET_MYSQLD: 'mariadbd-not-installed' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/mariadbd-not-installed is not installed/);
    expect(await processesUnder(d)).toEqual([]);
  });

  it('rejects bad numbers with exit 2, naming the option', async () => {
    const r = await dbfleet([...upArgs(join(tmp.path, 'bad'), 1, 0), '--clusters', 'two']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--clusters must be a whole number/);
  });

  it('detects stale PIDs after a crash, then down cleans up and a new up works; two sandboxes run side by side', async () => {
    const d = join(tmp.path, 'stale');
    dirsToDown.push(d);
    const first = await dbfleetJson<UpDoc>([...upArgs(d, 1, 0), '--json']);
    // runs beside the main sandbox without sharing any address
    const mainHosts = new Set(up.clusters.flatMap((c) => c.instances.map((i) => i.host)));
    expect(first.clusters[0]!.instances.some((i) => mainHosts.has(i.host))).toBe(false);
    for (const pid of await processesUnder(d)) process.kill(pid, 'SIGKILL');
    await waitFor('processes to die', async () => (await processesUnder(d)).length === 0);
    const again = await dbfleet(upArgs(d, 1, 0));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/stale PIDs/);
    const down = await dbfleet(['sandbox', 'down', '--dir', d]);
    expect(down.code).toBe(0);
    const second = await dbfleetJson<UpDoc>([...upArgs(d, 1, 0), '--json']);
    expect(pidAlive(second.clusters[0]!.instances[0]!.pid)).toBe(true);
  });

  it('down stops every process by PID and removes the dir', async () => {
    const r = await dbfleet(['sandbox', 'down', '--dir', dir]);
    expect(r.code).toBe(0);
    expect(await processesUnder(dir)).toEqual([]);
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    const s = await dbfleet(['sandbox', 'status', '--dir', dir]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/no sandbox in/);
  });
});

describe('dbfleet sandbox up: engine selection errors', () => {
  it('rejects an unknown --engine with exit 2, naming the choices', async () => {
    const r = await dbfleet(['sandbox', 'up', '--dir', '/tmp/dbf-never-made', '--engine', 'postgres']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine must be one of mariadb, mysql/);
  });

  it('names scripts/ensure-mysql (exit 2) when the MySQL prefix is not installed, starting nothing', async () => {
    const t = await makeTempDir('nomy');
    try {
      const d = join(t.path, 's');
      const r = await dbfleet(['sandbox', 'up', '--dir', d, '--engine', 'mysql', '--clusters', '1', '--readers', '0'], { env: { DBFLEET_MYSQL_PREFIX: join(t.path, 'no-mysql') } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no-mysql\/bin\/mysqld is not installed/);
      expect(r.stderr).toMatch(/scripts\/ensure-mysql/);
      expect(await processesUnder(d)).toEqual([]);
    } finally {
      await t.remove();
    }
  });
});
