/**
 * The dialect operations the migrator adds (full read-only, renaming on a read-only server, the
 * DEFINER rule of RENAME USER, gtid_mode, assigning GTIDs to anonymous transactions), per server
 * version, against the MySQL 8.0 / 8.4 / 9.7 and Aurora MySQL 2 / 3 reference manuals, and the pure
 * gtid_mode decision step 9 and preflight share.
 *
 * Checked on a real server here: MySQL 9.7.4 (the 8.4 dialect: super_read_only refusing RENAME USER
 * with ER 1290 and accepting CHANGE REPLICATION SOURCE / RESET REPLICA ALL / ASSIGN_GTIDS_TO_
 * ANONYMOUS_TRANSACTIONS; RENAME USER of a DEFINER refused with ER 4006 without SET_ANY_DEFINER /
 * ALLOW_NONEXISTENT_DEFINER, renamed with warning 4005 with them; test/integration/migrate-*.test.ts)
 * and MariaDB 10.11 (renames a DEFINER account without a check). Only by these tables: MySQL 5.7 and
 * 8.0 (SET_USER_ID from 8.0.22; ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS from 8.0.23), Aurora 2 and 3
 * (mysql.rds_assign_gtids_to_anonymous_transactions exists in Aurora 3 only).
 */
import { describe, expect, it } from 'vitest';
import type { ServerVersion } from '../../src/mysql/admin.js';
import type { Dialect } from '../../src/mysql/dialect.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion, type VersionVariables } from '../../src/mysql/server-version.js';
import { auroraEmulatedDialect } from '../../src/migrate/aurora-emulated-dialect.js';
import { gtidPairPlan, type GtidMode } from '../../src/migrate/gtid-mode-plan.js';

const sqls = (s: readonly { sql: string }[] | undefined) => s?.map((x) => x.sql);
const dialect = (vars: VersionVariables): Dialect => dialectFor(parseServerVersion(vars));
const version = (vars: VersionVariables): ServerVersion => parseServerVersion(vars);

interface Row {
  server: string;
  d: Dialect;
  fullReadOnly: string;
  beforeRename: string[];
  definerOverride: readonly string[] | undefined;
  gtidMode: string | undefined;
  assign: string[] | undefined;
  kill?: string;
}

const SRO = 'SELECT @@GLOBAL.super_read_only AS ro';
const LOWER_SRO = ['SET GLOBAL super_read_only = 0'];
const GTID_MODE = 'SELECT @@GLOBAL.gtid_mode AS mode';
const ASSIGN = ['CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL'];
const AURORA_ASSIGN = ["CALL mysql.rds_assign_gtids_to_anonymous_transactions('LOCAL')"];

const rows: Row[] = [
  { server: 'MySQL 5.7.44', d: dialect({ version: '5.7.44-log' }), fullReadOnly: SRO, beforeRename: LOWER_SRO, definerOverride: undefined, gtidMode: GTID_MODE, assign: undefined },
  // RENAME USER checks definers from 8.0.22 (SET_USER_ID); ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS from 8.0.23
  { server: 'MySQL 8.0.21', d: dialect({ version: '8.0.21' }), fullReadOnly: SRO, beforeRename: LOWER_SRO, definerOverride: undefined, gtidMode: GTID_MODE, assign: undefined },
  { server: 'MySQL 8.0.22', d: dialect({ version: '8.0.22' }), fullReadOnly: SRO, beforeRename: LOWER_SRO, definerOverride: ['SET_USER_ID'], gtidMode: GTID_MODE, assign: undefined },
  { server: 'MySQL 8.0.23', d: dialect({ version: '8.0.23' }), fullReadOnly: SRO, beforeRename: LOWER_SRO, definerOverride: ['SET_USER_ID'], gtidMode: GTID_MODE, assign: ASSIGN },
  // 8.2 replaced SET_USER_ID by SET_ANY_DEFINER and ALLOW_NONEXISTENT_DEFINER
  { server: 'MySQL 8.4.3', d: dialect({ version: '8.4.3' }), fullReadOnly: SRO, beforeRename: LOWER_SRO, definerOverride: ['SET_ANY_DEFINER', 'ALLOW_NONEXISTENT_DEFINER'], gtidMode: GTID_MODE, assign: ASSIGN },
  { server: 'MySQL 9.7.4 (real here)', d: dialect({ version: '9.7.4-2' }), fullReadOnly: SRO, beforeRename: LOWER_SRO, definerOverride: ['SET_ANY_DEFINER', 'ALLOW_NONEXISTENT_DEFINER'], gtidMode: GTID_MODE, assign: ASSIGN },
  // Aurora's read-only state is not the operator's; the master user of Aurora 3 holds SET_USER_ID
  { server: 'Aurora MySQL 2.11', d: dialect({ version: '5.7.12', auroraVersion: '2.11.2' }), fullReadOnly: SRO, beforeRename: [], definerOverride: undefined, gtidMode: GTID_MODE, assign: undefined, kill: 'CALL mysql.rds_kill(?)' },
  { server: 'Aurora MySQL 3.05', d: dialect({ version: '8.0.32', auroraVersion: '3.05.2' }), fullReadOnly: SRO, beforeRename: [], definerOverride: ['SET_USER_ID'], gtidMode: GTID_MODE, assign: AURORA_ASSIGN, kill: 'CALL mysql.rds_kill(?)' },
  { server: 'MariaDB 10.11 (real here)', d: dialect({ version: '10.11.6-MariaDB-0+deb12u1' }), fullReadOnly: 'SELECT @@GLOBAL.read_only AS ro', beforeRename: [], definerOverride: undefined, gtidMode: undefined, assign: undefined },
  // the sandbox's Aurora: Aurora 3's procedures on MySQL 9.7, Aurora 2's on MariaDB; the rest is the base server's
  { server: 'emulated Aurora on MySQL 9.7', d: auroraEmulatedDialect(version({ version: '9.7.4-2' })), fullReadOnly: SRO, beforeRename: [], definerOverride: ['SET_ANY_DEFINER', 'ALLOW_NONEXISTENT_DEFINER'], gtidMode: GTID_MODE, assign: AURORA_ASSIGN, kill: 'CALL mysql.rds_kill(?)' },
  { server: 'emulated Aurora on MariaDB 10.11', d: auroraEmulatedDialect(version({ version: '10.11.6-MariaDB' })), fullReadOnly: 'SELECT @@GLOBAL.read_only AS ro', beforeRename: [], definerOverride: undefined, gtidMode: undefined, assign: undefined, kill: 'CALL mysql.rds_kill(?)' },
];

describe('the migrator\'s dialect operations per server (pure)', () => {
  it.each(rows)('$server', (r) => {
    expect(r.d.fullReadOnlyQuery().sql).toBe(r.fullReadOnly);
    expect(sqls(r.d.beforeRenameOnReadOnly())).toEqual(r.beforeRename);
    expect(r.d.renameDefinerOverridePrivileges()).toEqual(r.definerOverride);
    expect(r.d.gtidModeQuery()?.sql).toBe(r.gtidMode);
    expect(sqls(r.d.assignGtidsToAnonymous())).toEqual(r.assign);
    const kill = r.d.killConnection(42);
    expect([kill.sql, kill.params]).toEqual([r.kill ?? 'KILL CONNECTION ?', [42]]);
  });

  it('a connection id must be a positive integer', () => {
    expect(() => rows[0]?.d.killConnection(0)).toThrow(/connection id 0 is invalid/);
    expect(() => rows[0]?.d.killConnection(1.5)).toThrow(/invalid/);
  });

  it('the emulated Aurora on MySQL 9.7 calls Aurora 3\'s procedures (rds_*_source), reads like 9.7, refuses SET read_only', () => {
    const d = auroraEmulatedDialect(version({ version: '9.7.4-2' }));
    expect(d.changeSource({ kind: 'position', host: '127.0.0.5', port: 3306, user: 'repl', password: 's3cret', file: 'mysql-bin.000002', position: 345 })[0]?.redacted).toBe(
      "CALL mysql.rds_set_external_source('127.0.0.5', 3306, 'repl', '***', 'mysql-bin.000002', 345, 0)",
    );
    expect(d.changeSource({ kind: 'gtid', host: '127.0.0.5', port: 3306, user: 'repl', password: 's3cret' })[0]?.redacted).toBe("CALL mysql.rds_set_external_source_with_auto_position('127.0.0.5', 3306, 'repl', '***', 0)");
    expect(sqls(d.resetReplicaAll())).toEqual(['CALL mysql.rds_reset_external_source']);
    expect(sqls(d.startReplica())).toEqual(['CALL mysql.rds_start_replication']);
    expect(d.replicaStatusQuery().sql).toBe('SHOW REPLICA STATUS');
    expect(d.binlogStatusQuery().sql).toBe('SHOW BINARY LOG STATUS');
    expect(d.roleQuery().sql).toBe('SELECT @@read_only AS ro');
    expect(() => d.setReadOnly(true)).toThrow(/Aurora does not allow/);
  });
});

describe('gtid_mode of a replica and its source (pure)', () => {
  const MODES: GtidMode[] = ['OFF', 'OFF_PERMISSIVE', 'ON_PERMISSIVE', 'ON'];
  // replica mode (rows) x source mode (columns): p = plain, a = assign GTIDs (replica can), r = refuse
  const table: Record<GtidMode, string> = {
    OFF: 'pprr',
    OFF_PERMISSIVE: 'pppp',
    ON_PERMISSIVE: 'pppp',
    ON: 'aapp',
  };
  for (const replica of MODES) {
    it.each(MODES.map((source, i) => [source, table[replica][i]] as const))(`replica ${replica}, source %s: %s`, (source, want) => {
      const plan = gtidPairPlan({ name: 'old writer', mode: replica, canAssign: true }, { name: 'new writer', mode: source });
      expect(plan.kind[0]).toBe(want);
    });
  }

  it('a GTID_MODE=ON replica that cannot assign GTIDs (MySQL < 8.0.23, Aurora 2) is refused behind an anonymous source, saying what to change', () => {
    const plan = gtidPairPlan({ name: 'db-main', mode: 'ON', canAssign: false }, { name: 'aurora-1', mode: 'OFF_PERMISSIVE' });
    expect(plan).toEqual({ kind: 'refuse', why: expect.stringContaining('has no ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS'), next: expect.stringContaining('set gtid_mode on aurora-1 to ON_PERMISSIVE') });
  });

  it('MariaDB (no gtid_mode) needs nothing', () => {
    expect(gtidPairPlan({ name: 'a', mode: undefined, canAssign: false }, { name: 'b', mode: 'OFF' }).kind).toBe('plain');
    expect(gtidPairPlan({ name: 'a', mode: 'ON', canAssign: true }, { name: 'b', mode: undefined }).kind).toBe('plain');
  });
});
