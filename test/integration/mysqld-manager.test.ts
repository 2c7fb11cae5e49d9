import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local-host.js';
import { engineBinaries } from '../../src/shard/mysqld/mysqld-engine.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';
import { TEST_ENGINES, clientOf, testEngine } from '../support/engines.js';
import { makeTempDir, randomLoopback } from '../support/temp-dir.js';

// The mysqld process manager on real servers of each engine: config files, a template datadir,
// start, readiness, the PID, stop and kill, and the failures an operator must be told about.

describe.each(TEST_ENGINES)('mysqld process manager (%s)', (engine) => {
  const host = new LocalHost();
  const manager = new MysqldManager(host);
  let dir: { path: string; remove: () => Promise<void> };
  let templateDataDir: string;
  const started: MysqldSpec[] = [];

  function spec(name: string, overrides: Partial<MysqldSpec> = {}): MysqldSpec {
    return { name, baseDir: dir.path, bindAddress: randomLoopback(61), port: 3306, serverId: 10 + started.length, bufferPoolMb: 16, readOnly: false, runAsRoot: true, engine: testEngine(engine), ...overrides };
  }

  async function sql(s: MysqldSpec, query: string): Promise<string> {
    const r = await host.check(clientOf(engine), ['--no-defaults', '-S', manager.paths(s).socket, '-uroot', '-N', '-B', '-e', query], { timeoutMs: 10_000 });
    return r.stdout.trim();
  }

  beforeAll(async () => {
    dir = await makeTempDir('mgr');
    const tpl = spec('template');
    const p = await manager.createTemplate(tpl, "CREATE USER 'probe'@'%' IDENTIFIED BY 'probe-secret';");
    templateDataDir = p.dataDir;
  }, 120_000);

  afterAll(async () => {
    // kill, not a clean stop: nothing here needs a clean shutdown
    for (const s of started) await manager.kill(s).catch(() => undefined);
    await dir.remove();
  });

  it('renders my-<name>.cnf, starts from the template, answers queries, knows its pid, stops', async () => {
    const s = spec('alpha', { serverId: 101 });
    const p = await manager.initDatadirFromTemplate(s, templateDataDir);
    expect(p.configFile.endsWith('/alpha/my-alpha.cnf')).toBe(true);
    const cnf = await readFile(p.configFile, 'utf8');
    expect(cnf).toContain(`bind-address = ${s.bindAddress}`);
    expect(cnf).toContain('server_id = 101');
    started.push(s);
    const { pid } = await manager.start(s);
    expect(await manager.pid(s)).toBe(pid);
    expect(await sql(s, 'SELECT @@server_id, @@bind_address, @@log_bin')).toBe(`101\t${s.bindAddress}\t1`);
    // the user made in the template exists in the copy
    expect(await sql(s, "SELECT COUNT(*) FROM mysql.user WHERE user='probe'")).toBe('1');
    if (engine === 'mysql') {
      // the template's bootstrap was unlogged, the clone plugin is loaded
      expect(await sql(s, "SELECT @@gtid_mode, @@super_read_only, @@gtid_executed = ''")).toBe('ON\t0\t1');
      expect(await sql(s, "SELECT plugin_status FROM information_schema.plugins WHERE plugin_name = 'clone'")).toBe('ACTIVE');
    }
    expect(await manager.stop(s)).toBe(pid);
    expect(await host.isAlive(pid)).toBe(false);
    expect(await manager.pid(s)).toBeUndefined();
  });

  it('refuses to start a second copy of a running process', async () => {
    const s = spec('beta', { serverId: 102 });
    await manager.initDatadirFromTemplate(s, templateDataDir);
    started.push(s);
    const { pid } = await manager.start(s);
    await expect(manager.start(s)).rejects.toMatchObject({ code: 'MYSQLD_RUNNING' });
    expect(await host.isAlive(pid)).toBe(true);
  });

  it('runs init SQL at a start, before it takes connections, from a file removed once it is ready', async () => {
    const s = spec('zeta', { serverId: 106, readOnly: true });
    await manager.initDatadirFromTemplate(s, templateDataDir);
    started.push(s);
    await manager.start(s, { initSql: "SET SESSION sql_log_bin = 0;\nCREATE USER 'made_at_start'@'localhost';" });
    expect(await sql(s, "SELECT COUNT(*) FROM mysql.user WHERE user = 'made_at_start'")).toBe('1');
    expect(existsSync(join(manager.paths(s).dir, 'start-init.sql'))).toBe(false);
    if (engine === 'mysql') {
      // even with super_read_only on, and leaving no GTID of its own; and every copy has its own server_uuid
      expect(await sql(s, "SELECT @@super_read_only, @@gtid_executed = ''")).toBe('1\t1');
      const beta = started.find((x) => x.name === 'beta')!;
      expect(await sql(s, 'SELECT @@server_uuid')).not.toBe(await sql(beta, 'SELECT @@server_uuid'));
    }
    const pid = (await manager.pid(s))!;
    await sql(s, 'SHUTDOWN');
    expect(await manager.waitExited(pid, 30_000)).toBe(true);
  });

  it('reports a port already taken as a clear start-up failure, not a hang', async () => {
    const running = started.find((s) => s.name === 'beta');
    if (!running) throw new Error('beta must run');
    const clash = spec('gamma', { serverId: 103, bindAddress: running.bindAddress });
    await manager.initDatadirFromTemplate(clash, templateDataDir);
    await expect(manager.start(clash, { readyTimeoutMs: 20_000 })).rejects.toMatchObject({ code: 'MYSQLD_EXITED' });
    await expect(manager.start(clash, { readyTimeoutMs: 20_000 })).rejects.toThrow(/Address already in use|bind/i);
  });

  it('ignores a stale pid file that points at another process', async () => {
    const s = spec('delta', { serverId: 104 });
    const p = await manager.initDatadirFromTemplate(s, templateDataDir);
    await writeFile(p.pidFile, `${process.pid}\n`);
    expect(await manager.pid(s)).toBeUndefined();
    started.push(s);
    const { pid } = await manager.start(s);
    expect(pid).not.toBe(process.pid);
    expect(await manager.kill(s)).toBe(pid);
    expect(await host.isAlive(pid)).toBe(false);
  });

  it('names the missing binary when the server is not installed', async () => {
    const broken = new MysqldManager(host, undefined, { ...engineBinaries(testEngine(engine)), server: `${engineBinaries(testEngine(engine)).server}-not-installed` });
    const s = spec('epsilon', { serverId: 105 });
    await manager.initDatadirFromTemplate(s, templateDataDir);
    await expect(broken.start(s)).rejects.toMatchObject({ code: 'MISSING_DEPENDENCY', message: expect.stringContaining('-not-installed') });
  });

  it('rejects a spec that would write an unsafe config', async () => {
    await expect(manager.writeConfig(spec('bad', { bindAddress: '127.0.0.1\nskip-grant-tables' }))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(manager.writeConfig(spec('bad2', { extra: { 'init-file': '/tmp/x;rm' } }))).rejects.toThrow(/extra.init-file/);
  });
});
