/**
 * Pure decisions about the old writer's read-only state and step 9, per flavor: every resume case
 * as data (the real-server cases are in test/integration/migrate-*.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { oldWriterActions, type OldWriterObserved } from '../../src/migrate/old-writer-plan.js';
import { comparePositions } from '../../src/migrate/replication-checks.js';
import { mysqlDialect } from '../../src/mysql/dialect-mysql.js';
import { mariadbDialect } from '../../src/mysql/dialect-mariadb.js';

const fresh: OldWriterObserved = { aurora: false, followsNewWriter: false, threadsRunning: false, threadsStopped: true, usersActive: false, fullReadOnly: false };
/** The replica status as START left it: both threads running. */
const running = { threadsRunning: true, threadsStopped: false };

describe('step 9: the old writer follows the new one (pure)', () => {
  it('first run on MySQL/MariaDB: check the final position, read_only, set up replication, start it, rename back (which puts back the full read-only it lowers)', () => {
    expect(oldWriterActions(fresh)).toEqual(['check-final-position', 'read-only', 'reset-and-change-source', 'start-replica', 'thaw-users']);
  });

  it('on Aurora (cannot be made read-only) the write users are never renamed back', () => {
    const a = { ...fresh, aurora: true };
    expect(oldWriterActions(a)).toEqual(['check-final-position', 'reset-and-change-source', 'start-replica']);
    expect(oldWriterActions({ ...a, followsNewWriter: true, ...running })).toEqual([]);
    expect(oldWriterActions({ ...a, followsNewWriter: true })).toEqual(['start-replica']);
  });

  it.each<[string, Partial<OldWriterObserved>, string[]]>([
    ['killed after CHANGE MASTER, before START: only start, never rewind', { followsNewWriter: true }, ['start-replica', 'thaw-users']],
    ['killed after START, before the rename: no reset, no change source', { followsNewWriter: true, ...running }, ['thaw-users']],
    ['killed inside the rename, super_read_only still lowered (MySQL)', { followsNewWriter: true, ...running, usersActive: true }, ['full-read-only']],
    ['the IO thread connecting (source unreachable), the SQL thread running: START again, nothing else', { followsNewWriter: true, threadsRunning: false, threadsStopped: false, usersActive: true, fullReadOnly: true }, ['start-replica']],
    ['replication stopped by hand after a finished step 9', { followsNewWriter: true, usersActive: true, fullReadOnly: true }, ['start-replica']],
    ['finished', { followsNewWriter: true, ...running, usersActive: true, fullReadOnly: true }, []],
  ])('resume: %s', (_what, seen, actions) => {
    const out = oldWriterActions({ ...fresh, ...seen });
    expect(out).toEqual(actions);
    expect(out).not.toContain('reset-and-change-source');
  });
});

describe("step 9 with an old writer that assigns GTIDs to the new writer's anonymous transactions (pure)", () => {
  // Measured on 9.7 (docs/migrate.md, the MySQL rules): CHANGE REPLICATION SOURCE TO
  // ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS is refused while either thread runs (ER 3081), and the
  // setting stays through STOP/START, a CHANGE of other options and a restart, until RESET REPLICA ALL.
  const anon = { ...fresh, assignGtids: true };
  it('first run: set right after the reset and change of source (which cleared it), threads stopped, before the start', () => {
    expect(oldWriterActions(anon)).toEqual(['check-final-position', 'read-only', 'reset-and-change-source', 'assign-gtids', 'start-replica', 'thaw-users']);
    expect(oldWriterActions({ ...anon, gtidsAssigned: true })).toEqual(['check-final-position', 'read-only', 'reset-and-change-source', 'assign-gtids', 'start-replica', 'thaw-users']);
  });

  it.each<[string, Partial<OldWriterObserved>, string[]]>([
    ['killed after the change of source, before the assignment: set it (threads stopped), then start', { followsNewWriter: true, gtidsAssigned: false }, ['assign-gtids', 'start-replica', 'thaw-users']],
    ['killed after the assignment, before START: only start', { followsNewWriter: true, gtidsAssigned: true }, ['start-replica', 'thaw-users']],
    ['the IO thread connecting, the SQL thread running, the assignment stored: never touch the running applier', { followsNewWriter: true, threadsRunning: false, threadsStopped: false, gtidsAssigned: true, usersActive: true, fullReadOnly: true }, ['start-replica']],
    ['the IO thread connecting, the SQL thread running, the assignment missing: stop both threads first', { followsNewWriter: true, threadsRunning: false, threadsStopped: false, gtidsAssigned: false }, ['stop-replica', 'assign-gtids', 'start-replica', 'thaw-users']],
    ['both threads running, the assignment missing (someone cleared it): stop, set, start', { followsNewWriter: true, ...running, gtidsAssigned: false, usersActive: true, fullReadOnly: true }, ['stop-replica', 'assign-gtids', 'start-replica']],
    ['replication stopped by hand after a finished step 9: START only (the setting stayed)', { followsNewWriter: true, gtidsAssigned: true, usersActive: true, fullReadOnly: true }, ['start-replica']],
    ['finished', { followsNewWriter: true, ...running, gtidsAssigned: true, usersActive: true, fullReadOnly: true }, []],
  ])('resume: %s', (_what, seen, actions) => {
    const out = oldWriterActions({ ...anon, ...seen });
    expect(out).toEqual(actions);
    // the assignment only ever runs with both threads stopped
    const at = out.indexOf('assign-gtids');
    if (at >= 0) expect(seen.threadsStopped !== false || out[at - 1] === 'stop-replica').toBe(true);
  });
});

describe('renaming on a read-only server, per dialect (pure)', () => {
  const v8 = { flavor: 'mysql' as const, major: 8, minor: 0, patch: 36, raw: '8.0.36' };
  const maria = { flavor: 'mariadb' as const, major: 10, minor: 11, patch: 6, raw: '10.11.6-MariaDB' };

  it('MySQL 8: super_read_only (set by step 9) is lowered before RENAME USER, read_only is left at 1', () => {
    expect(mysqlDialect(v8).beforeRenameOnReadOnly().map((s) => s.sql)).toEqual(['SET GLOBAL super_read_only = 0']);
    // the dialect's full read-only is what step 9 sets and what isDone reads back
    expect(mysqlDialect(v8).setReadOnly(true).map((s) => s.redacted)).toContain('SET GLOBAL super_read_only = 1');
    expect(mysqlDialect(v8).fullReadOnlyQuery().sql).toBe('SELECT @@GLOBAL.super_read_only AS ro');
  });

  it('MariaDB has no super_read_only: nothing to lower, read_only is the full read-only', () => {
    expect(mariadbDialect(maria).beforeRenameOnReadOnly()).toEqual([]);
    expect(mariadbDialect(maria).setReadOnly(true).map((s) => s.redacted)).toEqual(['SET GLOBAL read_only = 1']);
    expect(mariadbDialect(maria).fullReadOnlyQuery().sql).toBe('SELECT @@GLOBAL.read_only AS ro');
  });
});

describe('binlog coordinates (pure)', () => {
  it.each<[string, number, string, number, number]>([
    ['mysql-bin.000001', 100, 'mysql-bin.000001', 100, 0],
    ['mysql-bin.000001', 900, 'mysql-bin.000002', 4, -1],
    ['mysql-bin.999999', 900, 'mysql-bin.1000000', 4, -1],
    ['mysql-bin.1000000', 4, 'mysql-bin.999999', 900, 1],
  ])('%s:%i vs %s:%i', (fa, pa, fb, pb, sign) => {
    expect(Math.sign(comparePositions({ file: fa, position: pa }, { file: fb, position: pb }))).toBe(sign);
  });
});
