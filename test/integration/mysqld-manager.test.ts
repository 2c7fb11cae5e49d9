import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { LocalHost } from '../../src/host/local-host.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import type { MysqldSpec } from '../../src/shard/mysqld/mysqld-spec.js';
import { makeTempDir, randomLoopback } from '../support/temp-dir.js';

const host = new LocalHost();
const manager = new MysqldManager(host);
let dir: { path: string; remove: () => Promise<void> };
let templateDataDir: string;
const started: MysqldSpec[] = [];

function spec(name: string, overrides: Partial<MysqldSpec> = {}): MysqldSpec {
  return { name, baseDir: dir.path, bindAddress: randomLoopback(61), port: 3306, serverId: 10 + started.length, bufferPoolMb: 16, readOnly: false, runAsRoot: true, ...overrides };
}

async function sql(s: MysqldSpec, query: string): Promise<string> {
  const r = await host.check('mariadb', ['--no-defaults', '-S', manager.paths(s).socket, '-uroot', '-N', '-B', '-e', query], { timeoutMs: 10_000 });
  return r.stdout.trim();
}

beforeAll(async () => {
  dir = await makeTempDir('mgr');
  const tpl = spec('template');
  const p = await manager.createTemplate(tpl, "CREATE USER 'probe'@'%' IDENTIFIED BY 'probe-secret';");
  templateDataDir = p.dataDir;
});

afterAll(async () => {
  for (const s of started) await manager.stop(s, { graceMs: 5_000 });
  await dir.remove();
});

describe('mysqld process manager on real mariadbd', () => {
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

  it('names the missing binary when mariadbd is not installed', async () => {
    const broken = new MysqldManager(host, undefined, { server: 'mariadbd-not-installed', installDb: 'mariadb-install-db', client: 'mariadb' });
    const s = spec('epsilon', { serverId: 105 });
    await manager.initDatadirFromTemplate(s, templateDataDir);
    await expect(broken.start(s)).rejects.toMatchObject({ code: 'MISSING_DEPENDENCY', message: expect.stringContaining('mariadbd-not-installed') });
  });

  it('rejects a spec that would write an unsafe config', async () => {
    await expect(manager.writeConfig(spec('bad', { bindAddress: '127.0.0.1\nskip-grant-tables' }))).rejects.toMatchObject({ code: 'USAGE' });
    await expect(manager.writeConfig(spec('bad2', { extra: { 'init-file': '/tmp/x;rm' } }))).rejects.toThrow(/extra.init-file/);
  });
});
