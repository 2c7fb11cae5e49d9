import { describe, expect, it } from 'vitest';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion } from '../../src/mysql/server-version.js';
import { auroraEmulatedDialect } from '../../src/migrate/aurora-emulated-dialect.js';
import { alreadyApplied } from '../../src/migrate/dns-steps.js';
import { buildRunbook, readerChanges, readerEntriesFor, type RunbookInput } from '../../src/migrate/runbook.js';
import type { Side } from '../../src/migrate/sides.js';
import { renderRunbookMarkdown } from '../../src/migrate/runbook-markdown.js';
import { comparePositions } from '../../src/migrate/replication-checks.js';

const mysql80 = dialectFor(parseServerVersion({ version: '8.0.36' }));
const aurora3 = dialectFor(parseServerVersion({ version: '8.0.32', auroraVersion: '3.05.2' }));
const mariadb = parseServerVersion({ version: '10.11.6-MariaDB' });
const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const source: Side = { role: 'source', engine: 'mysql', writer: { id: 'db-main', host: '10.0.0.10', port: 3306 }, readers: [{ id: 'db-main-r1', host: '10.0.0.11', port: 3306 }] };
const target: Side = {
  role: 'target',
  engine: 'aurora-mysql',
  writer: { id: 'aurora-1', host: '10.0.1.10', port: 3306 },
  readers: [{ id: 'aurora-2', host: '10.0.1.11', port: 3306 }, { id: 'aurora-3', host: '10.0.1.12', port: 3306 }],
};

function input(over: Partial<RunbookInput> = {}): RunbookInput {
  return {
    direction: 'cutover',
    from: source,
    to: target,
    dialects: { from: mysql80, to: aurora3 },
    zone: 'db.example.internal.',
    writeUsers: [{ user: 'app', host: '%' }, { user: 'batch', host: '10.0.%' }],
    replication: { user: 'repl', ssl: true },
    dns: {
      writer: { name: 'main-w', ttl: 60, entries: [{ address: '10.0.0.10', weight: 100 }] },
      reader: { name: 'main-r', ttl: 30, entries: [{ address: '10.0.0.10', weight: 0 }, { address: '10.0.0.11', weight: 100 }] },
    },
    readerEntriesAfter: readerEntriesFor(target, 100),
    cutoverTtl: 1,
    writesStoppedMs: 200,
    replicationWaitMs: 30_000,
    ...over,
  };
}

describe('the migration runbook (pure)', () => {
  it("lists the seed's nine steps in order, steps 3-7 inside the write window", () => {
    const rb = buildRunbook(input());
    expect(rb.steps.map((s) => s.phase)).toEqual(['1-lower-ttl', '2-replica-record', '3-freeze-writes', '4-thaw-on-new-writer', '5-stop-replication', '6-record-position', '7-writer-record', '8-restore-ttl', '9-old-writer-follows']);
    expect(rb.steps.filter((s) => s.inWriteWindow).map((s) => s.n)).toEqual([3, 4, 5, 6, 7]);
  });

  it('lowers both TTLs with compare-and-swap, waits out the longest old TTL, and restores them in step 8', () => {
    const [one, , , , , , , eight] = buildRunbook(input()).steps;
    expect(one?.dnsChanges).toEqual([[{ op: 'set-ttl', name: 'main-w', expect: { ttl: 60 }, ttl: 1 }, { op: 'set-ttl', name: 'main-r', expect: { ttl: 30 }, ttl: 1 }]]);
    expect(one?.wait).toBe('60 s (the old TTL)');
    expect(eight?.dnsChanges).toEqual([[{ op: 'set-ttl', name: 'main-w', expect: { ttl: 1 }, ttl: 60 }, { op: 'set-ttl', name: 'main-r', expect: { ttl: 1 }, ttl: 30 }]]);
  });

  it('does not wait when the TTL already is the cutover TTL', () => {
    const rb = buildRunbook(input({ cutoverTtl: 30, dns: { writer: { name: 'main-w', ttl: 30, entries: [{ address: '10.0.0.10', weight: 100 }] }, reader: { name: 'main-r', ttl: 30, entries: [{ address: '10.0.0.11', weight: 100 }] } } }));
    expect(rb.steps[0]?.dnsChanges).toEqual([]);
    expect(rb.steps[0]?.wait).toMatch(/^none/);
  });

  it("points the replica record at the target's readers (adds before removes) and the writer record at its writer", () => {
    const rb = buildRunbook(input());
    expect(rb.steps[1]?.dnsChanges[0]?.map((o) => `${o.op} ${'address' in o ? o.address : ''}`)).toEqual(['add-address 10.0.1.10', 'add-address 10.0.1.11', 'add-address 10.0.1.12', 'remove-address 10.0.0.10', 'remove-address 10.0.0.11']);
    expect(rb.steps[6]?.dnsChanges).toEqual([[{ op: 'replace-writer', name: 'main-w', expect: { address: '10.0.0.10' }, address: '10.0.1.10' }]]);
  });

  it("shows the real statements: renames with quoted accounts, Aurora's procedures, the change of source with the password masked", () => {
    const rb = buildRunbook(input({ recorded: { fromFinal: { file: 'binlog.000042', position: 1234 }, toPosition: { file: 'mysql-bin-changelog.000007', position: 4711 } } }));
    const text = (n: number) => rb.steps[n - 1]?.actions.map((a) => a.text).join('\n') ?? '';
    expect(text(3)).toContain("RENAME USER 'app'@'%' TO 'app_frozen_dbfleet'@'%'");
    expect(text(3)).toContain("RENAME USER 'batch'@'10.0.%' TO 'batch_frozen_dbfleet'@'10.0.%'");
    expect(text(4)).toContain('binlog.000042:1234');
    expect(text(4)).toContain("RENAME USER 'app_frozen_dbfleet'@'%' TO 'app'@'%'");
    // step 5: the full read-only (MySQL: super_read_only too) re-asserted on the MySQL source, the stop between two position reads (no refusal on a late transaction)
    expect(text(5).split('\n')).toEqual([
      'SET GLOBAL read_only = 1',
      'SET GLOBAL super_read_only = 1',
      expect.stringMatching(/^binlog position P .* applies it/),
      'CALL mysql.rds_stop_replication',
      expect.stringMatching(/^binlog position again: a transaction committed after P .* starts replication again .*at most 5 rounds/),
    ]);
    expect(text(3)).toContain('SET SESSION sql_log_bin = 0');
    expect(text(3)).not.toMatch(/first RENAME USER 'app_frozen_dbfleet'/);
    // step 3 makes the MySQL source read-only after the kill, before the still-binlog read, with
    // super_read_only: a SUPER / CONNECTION_ADMIN writer the rename does not stop fails too
    const three = rb.steps[2]?.actions.map((a) => a.text) ?? [];
    expect(three.indexOf('SET GLOBAL read_only = 1')).toBeGreaterThan(three.indexOf('KILL CONNECTION <id>'));
    expect(three.indexOf('SET GLOBAL super_read_only = 1')).toBe(three.indexOf('SET GLOBAL read_only = 1') + 1);
    expect(three.indexOf('SET GLOBAL super_read_only = 1')).toBeLessThan(three.findIndex((t) => t.startsWith('binlog position')));
    // its undo lowers super_read_only before the rename back (MySQL refuses RENAME USER under it), then makes the source writable
    expect(rb.steps[2]?.undo.map((u) => u.replace(/^on .*?\): /, ''))).toEqual([
      'SET GLOBAL super_read_only = 0',
      "RENAME USER 'app_frozen_dbfleet'@'%' TO 'app'@'%'",
      "RENAME USER 'batch_frozen_dbfleet'@'10.0.%' TO 'batch'@'10.0.%'",
      'SET GLOBAL super_read_only = 0',
      'SET GLOBAL read_only = 0',
    ]);
    // step 9: the full read-only re-asserted first (a restart lost it), then the transactions after
    // step 5's position are counted; super_read_only is lowered for the rename back (MySQL refuses
    // RENAME USER under it; CHANGE REPLICATION SOURCE is accepted) and set again last
    const nine = rb.steps[8]?.actions.map((a) => a.text) ?? [];
    expect(nine.slice(0, 2)).toEqual(['SET GLOBAL read_only = 1', 'SET GLOBAL super_read_only = 1']);
    expect(nine[2]).toMatch(/^binlog position \(SELECT LOCAL FROM performance_schema\.log_status; .*\): no transaction after the position step 5 left .* --accept-source-position/);
    expect(nine.at(-1)).toBe('SET GLOBAL super_read_only = 1');
    expect(nine[nine.findIndex((t) => t.startsWith('RENAME USER')) - 1]).toBe('SET GLOBAL super_read_only = 0');
    expect(nine.findIndex((t) => t.startsWith('RENAME USER'))).toBeLessThan(nine.length - 1);
    expect(text(9)).toContain("SOURCE_LOG_FILE = 'mysql-bin-changelog.000007', SOURCE_LOG_POS = 4711");
    expect(text(9)).toContain("SOURCE_PASSWORD = '***'");
  });

  // What DialectAdmin.binlogPosition runs, per server: MySQL 8.0.14+ (and Aurora 3) read
  // performance_schema.log_status first and fall back to the status row without BACKUP_ADMIN; older
  // MySQL and MariaDB read the status row. Steps 3, 5, 6 and 9 must say the same.
  const LOG_STATUS = 'SELECT LOCAL FROM performance_schema.log_status';
  it.each<[string, ReturnType<typeof dialectFor>, string]>([
    ['MySQL 5.7', dialectFor(parseServerVersion({ version: '5.7.44-log' })), 'SHOW MASTER STATUS'],
    ['MySQL 8.0.13 (no log_status yet)', dialectFor(parseServerVersion({ version: '8.0.13' })), 'SHOW MASTER STATUS'],
    ['MySQL 8.0.36', mysql80, `${LOG_STATUS}; without BACKUP_ADMIN: SHOW MASTER STATUS, read until two reads agree`],
    ['MySQL 9.7', dialectFor(parseServerVersion({ version: '9.7.4-2' })), `${LOG_STATUS}; without BACKUP_ADMIN: SHOW BINARY LOG STATUS, read until two reads agree`],
    ['Aurora MySQL 3', aurora3, `${LOG_STATUS}; without BACKUP_ADMIN: SHOW MASTER STATUS, read until two reads agree`],
    ['MariaDB 10.11', dialectFor(mariadb), 'SHOW MASTER STATUS'],
    ["the sandbox's Aurora on MySQL 9.7", auroraEmulatedDialect(parseServerVersion({ version: '9.7.4-2' })), `${LOG_STATUS}; without BACKUP_ADMIN: SHOW BINARY LOG STATUS, read until two reads agree`],
    ["the sandbox's Aurora on MariaDB", auroraEmulatedDialect(mariadb), 'SHOW MASTER STATUS'],
  ])('the binlog position reads name what runs on %s (steps 3, 5, 6 and 9)', (_server, d, read) => {
    // an Aurora dialect on both sides: two Aurora-like clusters (it refuses SET GLOBAL read_only)
    const sides = d.name.startsWith('aurora') || d.stopReplica()[0]?.sql.startsWith('CALL') ? { from: target, to: { ...target, role: 'source' as const, writer: { id: 'aurora-b', host: '10.0.2.10', port: 3306 } } } : {};
    const rb = buildRunbook(input({ ...sides, dialects: { from: d, to: d }, recorded: { toPosition: { file: 'mysql-bin.000007', position: 4711 } } }));
    const reads = (n: number) => rb.steps[n - 1]?.actions.filter((a) => a.kind === 'read').map((a) => a.text) ?? [];
    expect(reads(3)).toContain(`binlog position (${read}) read until it stays put for 200 ms: the final position`);
    expect(reads(5).filter((t) => t.startsWith('binlog position P'))).toEqual([expect.stringMatching(new RegExp(`^binlog position P \\(${escape(read)}\\); `))]);
    expect(reads(6)).toEqual([`${read} -> mysql-bin.000007:4711`]);
    expect(reads(9).filter((t) => t.startsWith('binlog position'))).toEqual([expect.stringMatching(new RegExp(`^binlog position \\(${escape(read)}\\): no transaction after`))]);
    expect(rb.steps.flatMap((st) => st.actions.map((a) => a.text)).join('\n')).not.toMatch(read.startsWith(LOG_STATUS) ? /^SHOW (BINARY LOG|MASTER) STATUS/m : /log_status/);
  });

  it.each<[string, ReturnType<typeof dialectFor>, boolean]>([
    ['MySQL (super_read_only stops every account)', mysql80, true],
    ["MariaDB (read_only lets SUPER through)", dialectFor(mariadb), false],
  ])('step 3 on %s: every admin session bounds its lock waits; the final position is taken at once only where the freeze can be proven', (_server, d, proven) => {
    const three = buildRunbook(input({ dialects: { from: d, to: aurora3 }, writesStoppedProof: true, lockWaitS: 2 })).steps[2];
    expect(three?.actions[0]).toEqual({ on: 'db-main (10.0.0.10:3306)', kind: 'sql', text: 'SET SESSION lock_wait_timeout = 2' });
    const read = three?.actions.find((a) => a.kind === 'read' && a.text.includes('binlog position'))?.text ?? '';
    if (proven) {
      expect(read).toMatch(/^XA RECOVER and the running replication appliers: with none, and the full read-only on, nothing can commit any more: binlog position \(.*\) read twice, .*otherwise read until it stays put for 200 ms$/);
      expect(three?.wait).toMatch(/^none where the freeze is proven; otherwise 200 ms of a still binlog/);
    } else {
      expect(read).toMatch(/read until it stays put for 200 ms: the final position$/);
      expect(three?.wait).toMatch(/^200 ms of a still binlog/);
    }
  });

  it('says where the step 6 position goes before it is known', () => {
    const text = buildRunbook(input()).steps[8]?.actions.map((a) => a.text).join('\n');
    expect(text).toContain("'<file from step 6>'");
    expect(text).toContain('<position from step 6>');
  });

  it('the reverse (rollback) runbook swaps the roles: Aurora is frozen and follows by rds_set_external_master; the source is made writable', () => {
    const rb = buildRunbook(input({ direction: 'rollback', from: target, to: source, dialects: { from: aurora3, to: mysql80 }, readerEntriesAfter: [{ address: '10.0.0.10', weight: 0 }, { address: '10.0.0.11', weight: 100 }] }));
    const text = (n: number) => rb.steps[n - 1]?.actions.map((a) => a.text).join('\n') ?? '';
    expect(text(3)).toContain('CALL mysql.rds_kill(<id>)');
    expect(text(5)).toContain('STOP REPLICA');
    expect(text(5)).toContain('SET GLOBAL read_only = 0');
    expect(text(9)).toContain("CALL mysql.rds_set_external_source('10.0.0.10', 3306, 'repl', '***'");
    // the MySQL source, read-only with super_read_only since the cutover's step 9, lowers it before the rename back (keeping read_only)
    expect(text(4)).toMatch(/SET GLOBAL super_read_only = 0\nRENAME USER 'app_frozen_dbfleet'@'%' TO 'app'@'%'/);
    // Aurora cannot be made read-only: the write users are not renamed back there
    expect(text(3)).toContain('read_only cannot be set on Aurora');
    expect(text(9)).not.toContain("TO 'app'@'%'");
    expect(text(9)).toContain('stay frozen');
    expect(rb.steps[6]?.dnsChanges[0]).toEqual([{ op: 'replace-writer', name: 'main-w', expect: { address: '10.0.1.10' }, address: '10.0.0.10' }]);
  });

  it('the sandbox target drives replication through the Aurora procedures but reads like MariaDB and refuses SET read_only', () => {
    const d = auroraEmulatedDialect(mariadb);
    expect(d.stopReplica().map((s) => s.sql)).toEqual(['CALL mysql.rds_stop_replication']);
    expect(d.changeSource({ kind: 'position', host: '127.0.0.5', port: 3306, user: 'repl', password: 's3cret', file: 'mysql-bin.000002', position: 345 })[0]?.redacted).toBe(
      "CALL mysql.rds_set_external_master('127.0.0.5', 3306, 'repl', '***', 'mysql-bin.000002', 345, 0)",
    );
    expect(d.replicaStatusQuery().sql).toBe('SHOW ALL SLAVES STATUS');
    expect(() => d.setReadOnly(true)).toThrow(/Aurora does not allow/);
  });

  it('renders Markdown that never contains the password passed to the dialect', () => {
    const md = renderRunbookMarkdown(buildRunbook(input()));
    expect(md).toMatch(/^# Cutover: db-main \(10\.0\.0\.10:3306\) -> aurora-1 \(10\.0\.1\.10:3306\)/);
    expect(md).toContain('## 9. Make db-main');
    expect(md).not.toMatch(/PASSWORD = '(?!\*\*\*)/);
  });
});

describe('idempotent DNS steps and positions', () => {
  const name = (records: { address: string; weight: number; ttl: number }[]) => ({ name: 'n', role: 'reader' as const, records: records.map((r) => ({ ...r, type: 'A' as const, active: true })) });
  it.each([
    [{ op: 'set-ttl', name: 'n', expect: { ttl: 60 }, ttl: 1 }, [{ address: 'a', weight: 1, ttl: 1 }], true],
    [{ op: 'set-ttl', name: 'n', expect: { ttl: 60 }, ttl: 1 }, [{ address: 'a', weight: 1, ttl: 60 }], false],
    [{ op: 'add-address', name: 'n', address: 'b', weight: 100 }, [{ address: 'b', weight: 100, ttl: 1 }], true],
    [{ op: 'add-address', name: 'n', address: 'b', weight: 100 }, [{ address: 'a', weight: 100, ttl: 1 }], false],
    [{ op: 'remove-address', name: 'n', address: 'a', expect: { weight: 0 } }, [{ address: 'b', weight: 100, ttl: 1 }], true],
    [{ op: 'replace-writer', name: 'n', expect: { address: 'a' }, address: 'b' }, [{ address: 'b', weight: 100, ttl: 1 }], true],
    [{ op: 'replace-writer', name: 'n', expect: { address: 'a' }, address: 'b' }, [{ address: 'a', weight: 100, ttl: 1 }], false],
  ] as const)('%o already applied to %o: %s', (op, records, want) => {
    expect(alreadyApplied(op, name([...records]))).toBe(want);
  });

  it('reader changes: only the difference, adds first', () => {
    expect(readerChanges({ name: 'r', ttl: 1, entries: [{ address: 'a', weight: 0 }, { address: 'b', weight: 100 }] }, [{ address: 'a', weight: 100 }, { address: 'c', weight: 100 }])).toEqual([
      { op: 'set-weight', name: 'r', address: 'a', expect: { weight: 0 }, weight: 100 },
      { op: 'add-address', name: 'r', address: 'c', weight: 100 },
      { op: 'remove-address', name: 'r', address: 'b', expect: { weight: 100 } },
    ]);
  });

  it('orders binlog coordinates by file, then position', () => {
    expect(comparePositions({ file: 'mysql-bin.000002', position: 4 }, { file: 'mysql-bin.000001', position: 9999 })).toBeGreaterThan(0);
    expect(comparePositions({ file: 'mysql-bin.000002', position: 100 }, { file: 'mysql-bin.000002', position: 100 })).toBe(0);
    expect(comparePositions({ file: 'mysql-bin.000002', position: 99 }, { file: 'mysql-bin.000002', position: 100 })).toBeLessThan(0);
  });
});
