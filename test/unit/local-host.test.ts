import { describe, expect, it } from 'vitest';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHost } from '../../src/host/local-host.js';

// Real child processes (no fakes): these are fast enough to sit with the unit tests.
const host = new LocalHost();

describe('LocalHost', () => {
  it('runs an argv without a shell and passes stdin', async () => {
    const r = await host.run('cat', [], { timeoutMs: 5_000, input: 'hello $(id)' });
    expect(r).toEqual({ exitCode: 0, stdout: 'hello $(id)', stderr: '' });
    const r2 = await host.run('echo', ['a; rm -rf /tmp/nothing', '$HOME'], { timeoutMs: 5_000 });
    expect(r2.stdout).toBe('a; rm -rf /tmp/nothing $HOME\n');
  });

  it('returns a non-zero exit from run and throws it from check, with stderr', async () => {
    expect((await host.run('sh', ['-c', 'echo oops >&2; exit 3'], { timeoutMs: 5_000 })).exitCode).toBe(3);
    await expect(host.check('sh', ['-c', 'echo oops >&2; exit 3'], { timeoutMs: 5_000 })).rejects.toThrow(/exited with 3: oops/);
  });

  it('kills a command at its deadline', async () => {
    const started = Date.now();
    await expect(host.run('sleep', ['30'], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('kills the whole process group at the deadline, grandchildren included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-host-'));
    const pidFile = join(dir, 'pid');
    await expect(host.run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const grandchild = Number((await host.readFile(pidFile)).trim());
    for (let i = 0; i < 100 && (await host.isAlive(grandchild)); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await host.isAlive(grandchild)).toBe(false);
  });

  it('refuses to remove / or an empty path', async () => {
    await expect(host.remove('/')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(host.remove('/tmp/..')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(host.remove('')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('stops a command when its signal aborts', async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 100);
    await expect(host.run('sleep', ['30'], { timeoutMs: 10_000, signal: c.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('names a missing program', async () => {
    await expect(host.run('no-such-program-dbfleet', [], { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'MISSING_DEPENDENCY' });
    expect(await host.which('no-such-program-dbfleet')).toBeUndefined();
    expect(await host.which('sh')).toMatch(/\/sh$/);
  });

  it('starts a detached process in its own session, sees it alive, and kills it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-host-'));
    const { pid } = await host.spawnDetached('sleep', ['30'], { logFile: join(dir, 'log') });
    expect(await host.isAlive(pid)).toBe(true);
    const sid = (await host.readFile(`/proc/${pid}/stat`)).split(') ')[1]?.split(' ')[3];
    expect(Number(sid)).toBe(pid); // session leader: a killed test process group leaves it alone
    expect(await host.kill(pid, 'SIGKILL')).toBe(true);
    for (let i = 0; i < 100 && (await host.isAlive(pid)); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await host.isAlive(pid)).toBe(false);
    expect(await host.kill(pid, 'SIGKILL')).toBe(false);
  });

  it('writes files atomically with the given mode', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-host-'));
    const f = join(dir, 'secret');
    await host.writeFile(f, 'x', 0o600);
    expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect(await host.readFile(f)).toBe('x');
    expect(await host.exists(f)).toBe(true);
    await host.remove(dir);
    expect(await host.exists(f)).toBe(false);
  });
});
