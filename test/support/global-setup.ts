import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { engineMissing, TEST_ENGINES } from './engines.js';

/** Newest modification time of any file under dir. */
function newest(dir: string): number {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Integration tests run the real `dbfleet` binary (bin/dbfleet.js -> dist/), as a user would.
 * Build it when the sources are newer than the build, so `npx vitest` alone also works.
 */
export default function setup(): void {
  // A tier that cannot run fails the whole run here, naming what is missing; it never skips.
  const missing = TEST_ENGINES.map((e) => engineMissing(e)).filter((m): m is string => m !== undefined);
  // sshd and PowerDNS too: the files that use them would otherwise skip their tests
  for (const bin of ['/usr/sbin/sshd', '/usr/sbin/pdns_server']) if (!existsSync(bin)) missing.push(`${bin} is not installed (run scripts/ensure-deps)`);
  if (missing.length > 0) throw new Error(`the integration tests cannot run: ${missing.join('; ')}`);
  const root = process.cwd();
  const built = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(built) || newest(join(root, 'src')) > statSync(built).mtimeMs) {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  }
}
