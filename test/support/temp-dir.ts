import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A short temp dir (unix socket paths are limited to 107 bytes). */
export async function makeTempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `dbf-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A random 127.x.y.z address in a /16 of its own, so parallel test files never share one. */
export function randomLoopback(second: number): string {
  const a = 1 + Math.floor(Math.random() * 250);
  const b = 1 + Math.floor(Math.random() * 250);
  return `127.${second}.${a}.${b}`;
}
