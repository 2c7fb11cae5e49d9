/**
 * The sandbox slot registry on a real directory: a claim whose owner is not running is taken over
 * only once it is older than CLAIM_GRACE_MS. A sandbox still making its datadirs (seconds for a
 * MySQL template) has no process yet; taking its slot then gave two sandboxes one /16 and the
 * later one failed with "Address already in use" (seen in a parallel test run).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLAIM_GRACE_MS, SLOT_RANGE, SlotRegistry } from '../../src/sandbox/slot-registry.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dbf-slots-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every slot claimed by an owner that is not running (yet, or any more), claimed `ageMs` ago. */
async function fillRegistry(ageMs: number): Promise<void> {
  const at = new Date(Date.now() - ageMs);
  for (let slot = SLOT_RANGE.first; slot <= SLOT_RANGE.last; slot++) {
    const file = join(dir, `127.${slot}`);
    await writeFile(file, `/tmp/sandbox-${slot}`);
    await utimes(file, at, at);
  }
}

const nobodyAlive = async (): Promise<boolean> => false;

describe('SlotRegistry.claim', () => {
  it('never takes over a fresh claim whose sandbox has no process yet', async () => {
    await fillRegistry(1_000);
    await expect(new SlotRegistry(dir).claim('/tmp/me', nobodyAlive)).rejects.toMatchObject({ code: 'NO_SANDBOX_SLOT' });
    // every claim is still its owner's
    for (const f of await readdir(dir)) expect(await readFile(join(dir, f), 'utf8')).toBe(`/tmp/sandbox-${f.slice(4)}`);
  });

  it('takes over a claim older than the grace whose owner is gone', async () => {
    await fillRegistry(CLAIM_GRACE_MS + 60_000);
    const slot = await new SlotRegistry(dir).claim('/tmp/me', nobodyAlive);
    expect(await readFile(join(dir, `127.${slot}`), 'utf8')).toBe('/tmp/me');
  });

  it('never takes over a claim whose owner is alive, however old', async () => {
    await fillRegistry(CLAIM_GRACE_MS + 60_000);
    await expect(new SlotRegistry(dir).claim('/tmp/me', async () => true)).rejects.toMatchObject({ code: 'NO_SANDBOX_SLOT' });
  });
});
