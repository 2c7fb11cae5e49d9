import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { silentLogger } from '../../src/core/logger.js';
import { generateInventory } from '../../src/shard/plan/inventory-generator.js';
import { loadInventory, validateInventory } from '../../src/shard/plan/inventory-load.js';
import { planConsolidation } from '../../src/shard/plan/planner.js';

/** `dbfleet shard plan` through the real CLI root, in-process: output, --json, --out and exit codes. */
const EXAMPLE = join(import.meta.dirname, 'shard-plan-example.yaml');

async function dbfleet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void): Writable => new Writable({ write: (chunk: Buffer, _e, cb) => (append(chunk.toString()), cb()) });
  const code = await main(['node', 'dbfleet', ...args], { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), logger: silentLogger, env: {} });
  return { code, stdout, stderr };
}

describe('dbfleet shard plan', () => {
  it('prints the summary: hosts before and after, the saving, the lower bound, the first hosts and move', async () => {
    const r = await dbfleet('shard', 'plan', '--inventory', EXAMPLE);
    expect(r.code).toBe(0);
    const plan = planConsolidation(await loadInventory(EXAMPLE));
    const s = plan.summary;
    expect(r.stdout).toContain(`hosts before        ${s.hosts_before}`);
    expect(r.stdout).toContain(`hosts after         ${s.hosts_after} (saving ${s.saving_pct} %)`);
    expect(r.stdout).toContain(`lower bound         ${s.lower_bound} (set by ${s.binding}`);
    expect(r.stdout).toContain(`${plan.hosts[0]?.name} (${plan.host_type.name}, ap-northeast-1a)`);
    expect(r.stdout).toContain(plan.hosts[2]?.processes[0]?.config_path);
    expect(r.stdout).not.toContain(`${plan.hosts[3]?.name} (`);
    expect(r.stdout).toContain(`move 1 (wave 1): ${plan.moves[0]?.shard}`);
  });

  it('--json prints exactly the plan, and --out writes the same document', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-plan-'));
    const out = join(dir, 'plan.json');
    const r = await dbfleet('shard', 'plan', '--inventory', EXAMPLE, '--json', '--out', out);
    expect(r.code).toBe(0);
    const expected = planConsolidation(await loadInventory(EXAMPLE));
    expect(JSON.parse(r.stdout)).toEqual(expected);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(expected);
  });

  it('--hosts 0 shows only the summary', async () => {
    const r = await dbfleet('shard', 'plan', '--inventory', EXAMPLE, '--hosts', '0');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('secondary ip');
  });

  it('exits 2 on a bad inventory, naming the field, and 2 on a missing --inventory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-plan-'));
    const bad = join(dir, 'bad.yaml');
    const text = (await readFile(EXAMPLE, 'utf8')).replace('peak_iops: 3500', 'peak_iops: lots');
    await writeFile(bad, text);
    const r = await dbfleet('shard', 'plan', '--inventory', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shards[1].peak_iops');
    expect(r.stdout).toBe('');
    expect((await dbfleet('shard', 'plan')).code).toBe(2);
  });

  it('exits 1 on an infeasible inventory, naming the shard and the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-plan-'));
    const big = join(dir, 'big.yaml');
    await writeFile(big, (await readFile(EXAMPLE, 'utf8')).replace('buffer_pool_gb: 24', 'buffer_pool_gb: 400'));
    const r = await dbfleet('shard', 'plan', '--inventory', big);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('user-03 fits no host type');
    expect(r.stderr).toContain('memory 401 GB > 76.8 GB usable');
    expect(r.stderr).toContain('next: add a bigger host type');
  });

  it('the built binary writes a multi-megabyte --json plan to a pipe whole (the process exits right after)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbf-plan-'));
    const file = join(dir, 'fleet.json');
    const doc = generateInventory({ shards: 400, seed: 5 });
    await writeFile(file, JSON.stringify(doc)); // JSON is YAML too
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'dbfleet.js'), 'shard', 'plan', '--inventory', file, '--json'], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, env: { ...process.env, DBFLEET_LOG_LEVEL: 'warn' } });
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1_000_000);
    expect(JSON.parse(r.stdout)).toEqual(planConsolidation(validateInventory(doc)));
  });
});
