import { describe, expect, it } from 'vitest';
import { freezeProof, type FreezeObserved } from '../../src/migrate/freeze-proof.js';
import { lockBound } from '../../src/migrate/lock-bounds.js';
import { stopAllowedBefore } from '../../src/migrate/write-window.js';

describe("the write window's rules (pure)", () => {
  const mysql: FreezeObserved = { aurora: false, bypassPrivileges: [], fullReadOnly: true, preparedXa: 0, runningAppliers: 0 };
  it.each<[string, FreezeObserved, string | undefined]>([
    ['MySQL, super_read_only on, no XA prepared, no applier', mysql, undefined],
    ['an Aurora old writer (only the rename stops writes)', { aurora: true, bypassPrivileges: [] }, 'Aurora'],
    ["MariaDB's read_only (SUPER / READ_ONLY ADMIN write through it)", { aurora: false, bypassPrivileges: ['SUPER', 'READ_ONLY ADMIN'] }, 'lets SUPER / READ_ONLY ADMIN accounts write'],
    ['the full read-only off (another process lowered it)', { ...mysql, fullReadOnly: false }, 'is off'],
    ['a prepared XA transaction (XA COMMIT goes through super_read_only)', { ...mysql, preparedXa: 1 }, '1 prepared XA transaction'],
    ['XA RECOVER refused (no XA_RECOVER_ADMIN)', { ...mysql, preparedXa: undefined }, 'XA_RECOVER_ADMIN'],
    ['a replication applier running there', { ...mysql, runningAppliers: 1 }, '1 replication applier'],
    ['the applier state unknown', { ...mysql, runningAppliers: undefined }, 'unknown'],
  ])('the freeze proof: %s', (_what, observed, why) => {
    const p = freezeProof(observed);
    if (why === undefined) expect(p).toEqual({ proven: true });
    else expect(p).toEqual({ proven: false, why: expect.stringContaining(why) });
  });

  it.each([
    ['0-snapshot', true],
    ['3-freeze-writes', true],
    ['4-thaw-on-new-writer', false],
    ['5-stop-replication', false],
    ['6-record-position', false],
    ['7-writer-record', false],
    ['8-restore-ttl', true],
    ['9-old-writer-follows', true],
  ])('a stop asked for may stop the run before %s: %s (never inside the window, steps 3-7)', (phase, allowed) => {
    expect(stopAllowedBefore(phase)).toBe(allowed);
  });

  it('bounds a window statement on the server (lock_wait_s) and on the client a second later, killing it there', () => {
    expect(lockBound({ lock_wait_s: 2 })).toEqual({ seconds: 2, query: { timeoutMs: 3_000, killOnTimeout: true } });
  });
});
