import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultMysqlPrefix } from '../../src/shard/mysqld/mysqld-engine.js';
import { makeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const SCRIPT = join(process.cwd(), 'scripts', 'ensure-mysql');

async function ensure(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const r = await run('sh', [SCRIPT, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stderr: r.stderr, stdout: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stderr?: string; stdout?: string };
    return { code: err.code ?? 1, stderr: err.stderr ?? '', stdout: err.stdout ?? '' };
  }
}

describe('scripts/ensure-mysql (the MySQL 9.7 prefix npm test installs)', () => {
  it('on an installed prefix does nothing: exit 0, no output, the prefix untouched, and the server answers --version', async () => {
    const prefix = defaultMysqlPrefix(process.env);
    const stamp = join(prefix, '.dbfleet-installed');
    const before = statSync(stamp).mtimeMs;
    const r = await ensure([prefix]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(statSync(stamp).mtimeMs).toBe(before);
    const v = await run(join(prefix, 'bin', 'mysqld'), ['--no-defaults', '--version']);
    expect(v.stdout).toMatch(/Ver 9\.7\.\d+/);
  });

  it('names the step that failed when the archive cannot be reached, exits 1 and leaves no prefix behind', async () => {
    const t = await makeTempDir('ensmy');
    try {
      const prefix = join(t.path, 'mysql');
      // a loopback port nothing listens on: the failure is real, and nothing leaves the machine
      const r = await ensure([prefix], { DBFLEET_DEBIAN_ARCHIVE: 'http://127.0.0.1:9/debian' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/FAILED at step "apt-get update of the sid index": no package index for sid came from http:\/\/127\.0\.0\.1:9\/debian/);
      expect(r.stderr).toMatch(/nothing was installed in/);
      expect(existsSync(prefix)).toBe(false);
    } finally {
      await t.remove();
    }
  });
});
