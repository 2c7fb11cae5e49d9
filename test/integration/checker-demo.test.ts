/**
 * `dbfleet demo` (what `npm run demo -- --engine mysql|mariadb` runs after its set-up): one
 * failover on each engine of TEST_ENGINES with the real sandbox, checker, PowerDNS and downtime
 * meter, and its refusals of bad input, which must leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineKind } from '../../src/shard/mysqld/mysqld-engine.js';
import { dbfleet } from '../support/cli.js';
import { TEST_ENGINES } from '../support/engines.js';
import { makeTempDir } from '../support/temp-dir.js';

let tmp: { path: string; remove: () => Promise<void> };
/** The demo makes its sandbox under TMPDIR: a fresh one per run shows what it left behind. */
const runDir = async (name: string): Promise<string> => {
  const d = join(tmp.path, name);
  await (await import('node:fs/promises')).mkdir(d);
  return d;
};

beforeAll(async () => {
  tmp = await makeTempDir('demo');
});
afterAll(async () => {
  await tmp?.remove();
});

describe.each(TEST_ENGINES)('dbfleet demo (%s)', (engine: EngineKind) => {
  it('runs a failover with the checker and the meter, loses no write, and tears everything down', async () => {
    // TMPDIR stays the machine's: the sandbox slot registry under it is shared by every sandbox here
    const r = await dbfleet(['demo', '--engine', engine, '--failovers', '1'], { timeoutMs: 180_000 });
    expect(r.stderr).not.toMatch(/"level":50/);
    expect(r.code).toBe(0);
    const dir = /== dbfleet demo: sandbox in (\S+)\n/.exec(r.stdout)?.[1] ?? '';
    expect(r.stdout).toMatch(engine === 'mysql' ? /2 Aurora-like clusters \(MySQL \(prefix [^)]+\), 9\.7\.\d+/ : /2 Aurora-like clusters \(MariaDB, 10\.11\.\d+-MariaDB/);
    // one row: 1  <from> -> <to>  and four figures
    expect(r.stdout).toMatch(/\n1 {2}127\.\d+\.1\.1 -> 127\.\d+\.1\.2 +\d+ +\d+ +\d+ +-?\d+\n/);
    expect(r.stdout).toMatch(/writes acknowledged: [1-9]\d*, lost or split: 0 \(acknowledged \d+ by 127\.[\d.]+, \d+ by 127\.[\d.]+.*; 0 lost, 0 split, 0 on one side only\)\n/);
    expect(r.stdout).toContain(`== sandbox down: stopped 8 processes, removed ${dir}`);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  }, 180_000);
});

describe('dbfleet demo: bad input', () => {
  it('refuses an unknown --engine with exit 2, naming the choices, before making anything', async () => {
    const t = await runDir('bad-engine');
    const r = await dbfleet(['demo', '--engine', 'postgres'], { env: { TMPDIR: t } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--engine must be one of mariadb, mysql, got "postgres"/);
    expect(r.stdout).toBe('');
    expect(await readdir(t)).toEqual([]);
  });

  it('names scripts/ensure-mysql (exit 2) when the MySQL prefix is not installed, making nothing', async () => {
    const t = await runDir('no-mysql');
    const r = await dbfleet(['demo', '--engine', 'mysql'], { env: { TMPDIR: t, DBFLEET_MYSQL_PREFIX: join(t, 'no-mysql') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-mysql\/bin\/mysqld is not installed/);
    expect(r.stderr).toMatch(/scripts\/ensure-mysql/);
    expect(r.stdout).toBe('');
    expect(await readdir(t)).toEqual([]);
  });
});
