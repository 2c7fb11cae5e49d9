// No AWS here (none is reachable from this machine, and none is needed): the loopback provider is
// the sandbox's stand-in for EC2 secondary IPs. These tests use real files in a temporary
// directory and real separate Node processes sharing one allocation file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LoopbackIpProvider } from '../../src/aws/loopback-ip-provider.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbfleet-loopback-'));
  file = join(dir, 'state', 'secondary-ips.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const provider = (): LoopbackIpProvider => new LoopbackIpProvider({ pool: '127.0.20.0/24', allocationFile: file, now: () => Date.UTC(2026, 10, 23, 9, 0, 0) });

/** Runs attaches in a separate Node process against the same allocation file. */
function attachInChild(tags: string[]): Promise<string[]> {
  const module = resolve('src/aws/loopback-ip-provider.ts');
  const script = `
    import { LoopbackIpProvider } from ${JSON.stringify(module)};
    const p = new LoopbackIpProvider({ pool: '127.0.20.0/24', allocationFile: ${JSON.stringify(file)} });
    const out = [];
    for (const tag of ${JSON.stringify(tags)}) out.push(await p.attach(tag));
    process.stdout.write(JSON.stringify(out));`;
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 ? resolveP(JSON.parse(stdout) as string[]) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe('LoopbackIpProvider', () => {
  it('hands out the pool in order, records who holds what in the allocation file, and frees on detach', async () => {
    const p = provider();
    expect(await p.attach('shard001')).toBe('127.0.20.1');
    expect(await p.attach('shard002')).toBe('127.0.20.2');
    expect(await p.attach('shard003', '127.0.20.200')).toBe('127.0.20.200');

    const onDisk = JSON.parse(await readFile(file, 'utf8'));
    expect(onDisk.pool).toBe('127.0.20.0/24');
    expect(onDisk.addresses['127.0.20.2']).toEqual({ tag: 'shard002', pid: process.pid, at: '2026-11-23T09:00:00.000Z' });

    await p.detach('127.0.20.1');
    expect(await p.list()).toEqual([
      { address: '127.0.20.2', tag: 'shard002', complete: true },
      { address: '127.0.20.200', tag: 'shard003', complete: true },
    ]);
    // the freed address is the first one handed out again
    expect(await provider().attach('shard004')).toBe('127.0.20.1');
  });

  it('is idempotent per tag and refuses a tag or address already taken', async () => {
    const p = provider();
    const a = await p.attach('shard010');
    expect(await p.attach('shard010')).toBe(a);
    await expect(p.attach('shard010', '127.0.20.99')).rejects.toMatchObject({ code: 'TAG_IN_USE' });
    await expect(p.attach('shard011', a)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    await expect(p.attach('shard012', '127.0.21.5')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(p.attach('shard;013')).rejects.toMatchObject({ code: 'USAGE' });
    expect((await p.list()).map((x) => x.tag)).toEqual(['shard010']);
  });

  it('two providers racing on one file never hand out the same address', async () => {
    const p1 = provider();
    const p2 = provider();
    const tags = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const got = await Promise.all(tags.map((t, i) => (i % 2 === 0 ? p1 : p2).attach(t)));
    expect(new Set(got).size).toBe(40);
    expect((await p1.list()).length).toBe(40);
  });

  it('separate processes sharing the allocation file get distinct addresses', async () => {
    const tags = (p: string) => Array.from({ length: 30 }, (_, i) => `${p}-${i}`);
    const [a, b] = await Promise.all([attachInChild(tags('p1')), attachInChild(tags('p2'))]);
    const all = [...a, ...b];
    expect(new Set(all).size).toBe(60);
    const listed = await provider().list();
    expect(listed.map((x) => x.address).sort()).toEqual([...all].sort());
  }, 30_000);

  it('takes over a lock left by a process that died', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await provider().attach('first');
    await writeFile(`${file}.lock`, String(dead));
    await expect(provider().attach('second')).resolves.toBe('127.0.20.2');
  });

  it('reports an exhausted pool with what to do', async () => {
    const p = provider();
    for (let i = 1; i <= 254; i++) await p.attach(`s${i}`);
    await expect(p.attach('one-too-many')).rejects.toMatchObject({ code: 'POOL_EXHAUSTED' });
  }, 30_000);

  it('rejects pools that are not a 127.x.y.0/24', () => {
    for (const pool of ['10.0.0.0/24', '127.0.20.0/16', '127.0.300.0/24']) {
      expect(() => new LoopbackIpProvider({ pool, allocationFile: file })).toThrow(/127\.X\.Y\.0\/24/);
    }
  });
});
