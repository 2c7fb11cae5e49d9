/**
 * Pure decisions of the late-write handling (src/migrate/late-writes.ts), table-tested: MySQL's GTID
 * sets, MySQL 5.6-style binlogs and Aurora cannot be made on the sandbox's MariaDB, and the undo
 * decision's cases need cutovers killed at exact points. Each table row fails on the behaviour the
 * review found (a rotation counted as a write; the undo demanding an active account on the target).
 */
import { describe, expect, it } from 'vitest';
import { countBinlogTransactions, freezeReplicates, gtidTransactionsAfter, undoThawPlan, type UndoThawInput, type UndoThawPlan } from '../../src/migrate/late-writes.js';

const U1 = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const U2 = '4f22ab58-82db-22f2-af44-d91bb0530673';

describe('transactions after a position, by GTID', () => {
  it.each([
    ['MariaDB: same position (a rotation or restart keeps gtid_binlog_pos)', '0-1-100', '0-1-100', 0],
    ['MariaDB: three local commits', '0-1-100', '0-1-103', 3],
    ['MariaDB: a new domain and a moved one', '0-1-100', '0-1-101,1-1-4', 5],
    ['MariaDB: a domain gone (RESET MASTER): not comparable', '0-1-100,1-1-4', '0-1-101', undefined],
    ['MariaDB: sequence went back: not comparable', '0-1-100', '0-1-90', undefined],
    ['MySQL: same set', `${U1}:1-100`, `${U1}:1-100`, 0],
    ['MySQL: two more', `${U1}:1-100`, `${U1}:1-102`, 2],
    ['MySQL: gaps and a second uuid', `${U1}:1-100:105`, `${U1}:1-106,${U2}:1-3`, 8],
    ['MySQL 8.4 tags count apart', `${U1}:1-10`, `${U1}:1-10:dbfleet:1-2`, 2],
    ['empty (GTID off): not comparable', '', '', undefined],
    ['mixed formats: not comparable', '0-1-100', `${U1}:1-3`, undefined],
  ])('%s', (_case, since, now, want) => {
    expect(gtidTransactionsAfter(since, now)).toBe(want);
  });
});

describe('transactions among SHOW BINLOG EVENTS rows', () => {
  const e = (type: string, info = '') => ({ type, info });
  it.each([
    ['FLUSH BINARY LOGS on MariaDB: rotation bookkeeping only', [e('Rotate', 'mysql-bin.000002;pos=4'), e('Format_desc'), e('Gtid_list', '[0-1-100]'), e('Binlog_checkpoint', 'mysql-bin.000001')], 0],
    ['a MySQL restart: Stop, then Format_desc and Previous_gtids', [e('Stop'), e('Format_desc'), e('Previous_gtids', `${U1}:1-100`)], 0],
    ['MariaDB: one row transaction', [e('Gtid', 'BEGIN GTID 0-1-101'), e('Annotate_rows'), e('Table_map'), e('Write_rows_v1'), e('Xid', 'COMMIT /* xid=7 */')], 1],
    ['MySQL: two transactions without GTIDs (anonymous)', [e('Anonymous_Gtid'), e('Query', 'BEGIN'), e('Write_rows'), e('Xid'), e('Anonymous_Gtid'), e('Query', 'CREATE TABLE t (a int)')], 2],
    ['MySQL 5.6 style, no GTID events: one commit and one DDL', [e('Query', 'BEGIN'), e('Table_map'), e('Write_rows'), e('Xid'), e('Query', 'DROP TABLE t')], 2],
    ['a rotation between two transactions', [e('Gtid', 'BEGIN GTID 0-1-101'), e('Xid'), e('Rotate'), e('Format_desc'), e('Gtid_list'), e('Binlog_checkpoint'), e('Gtid', 'GTID 0-1-102'), e('Query', 'CREATE TABLE t (a int)')], 2],
  ])('%s', (_case, events, want) => {
    expect(countBinlogTransactions(events)).toBe(want);
  });
});

describe("step 3's rename on the source replicates unless the target holds the frozen name alone", () => {
  it.each([
    [{ active: true, frozen: false }, true],
    [{ active: false, frozen: true }, false],
    [{ active: false, frozen: false }, true],
  ])('target %o -> replicates %s', (target, want) => {
    expect(freezeReplicates(target)).toBe(want);
  });
});

describe('the undo of step 3 leaves the target as it was before the cutover, and never throws forever', () => {
  const active = { active: true, frozen: false };
  const frozen = { active: false, frozen: true };
  const rows: [string, UndoThawInput, UndoThawPlan][] = [
    // the review's case: a reverse rollback left the target frozen; the next cutover was killed before
    // step 3 changed anything; the source's thaw is "already" and the target's frozen name is right
    ['source untouched, target frozen before (snapshot says so)', { source: active, target: frozen, targetFrozenBefore: true }, { thaw: 'none', targetAfter: 'frozen' }],
    ['source untouched, journal from before the snapshot recorded it', { source: active, target: frozen, targetFrozenBefore: undefined }, { thaw: 'none', targetAfter: 'active-or-frozen' }],
    ['source untouched, target active before', { source: active, target: active, targetFrozenBefore: false }, { thaw: 'none', targetAfter: 'active' }],
    ['first cutover: the freeze replicated, the thaw replicates too', { source: frozen, target: frozen, targetFrozenBefore: false }, { thaw: 'replicated', targetAfter: 'active' }],
    ['target frozen before: the freeze did not replicate, neither does the thaw', { source: frozen, target: frozen, targetFrozenBefore: true }, { thaw: 'unlogged', targetAfter: 'frozen' }],
    ['target active while the source is frozen: a replicated thaw would break replication', { source: frozen, target: active, targetFrozenBefore: false }, { thaw: 'unlogged', targetAfter: 'active' }],
  ];
  it.each(rows)('%s', (_case, input, want) => {
    expect(undoThawPlan(input)).toEqual(want);
  });
});
