import type { BinlogPosition, MysqlAdmin, QueryOptions } from '../mysql/admin.js';
import { gtidModeOf } from './gtid-mode-read.js';
import { comparePositions } from './replication-checks.js';
import type { RecordedPosition } from './runbook.js';

/**
 * Counting the real transactions an old writer binlogged after a recorded position. Bytes are not
 * transactions: a binlog rotation (FLUSH BINARY LOGS, a restart) moves the file and position but
 * writes no transaction, and must not count as a write. The decisions are pure and table-tested
 * (test/unit/migrate-late-writes.test.ts); `transactionsSince` gathers what they need.
 */

/** Step 5 stops replication at most this many times while the old writer keeps committing, then refuses. */
export const STOP_ROUNDS = 5;

/** Events a rotation, a restart or the server's own bookkeeping write: never a transaction. */
const BOOKKEEPING = new Set(['rotate', 'format_desc', 'format_description', 'gtid_list', 'binlog_checkpoint', 'previous_gtids', 'stop', 'start_encryption', 'heartbeat', 'heartbeat_log']);

/**
 * How many transactions a GTID set `now` holds beyond `since` (same server), or undefined when the
 * two cannot be compared (one empty, different formats, a MariaDB domain gone: a RESET MASTER).
 * MariaDB's @@gtid_binlog_pos (`domain-server-seq`, one per domain: the server numbers its own
 * transactions one by one, so the difference of sequence numbers counts them); MySQL's
 * @@gtid_executed (`uuid[:tag]:a-b:c`, counted as the set difference).
 */
export function gtidTransactionsAfter(since: string, now: string): number | undefined {
  const [s, n] = [since.replace(/\s/g, ''), now.replace(/\s/g, '')];
  if (s === '' || n === '') return undefined;
  if (s === n) return 0;
  const maria = /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/;
  if (maria.test(s) && maria.test(n)) {
    const seqs = (g: string) => new Map(g.split(',').map((x) => { const [d, , q] = x.split('-'); return [d as string, BigInt(q as string)]; }));
    const [a, b] = [seqs(s), seqs(n)];
    let count = 0n;
    for (const [d, q] of a) if (!b.has(d) || (b.get(d) as bigint) < q) return undefined;
    for (const [d, q] of b) count += q - (a.get(d) ?? 0n);
    return Number(count);
  }
  const [a, b] = [mysqlGtidSet(s), mysqlGtidSet(n)];
  if (!a || !b) return undefined;
  let count = 0n;
  for (const [key, ranges] of b) {
    const old = a.get(key) ?? [];
    for (const [lo, hi] of ranges) {
      let len = hi - lo + 1n;
      for (const [olo, ohi] of old) {
        const [x, y] = [lo > olo ? lo : olo, hi < ohi ? hi : ohi];
        if (x <= y) len -= y - x + 1n;
      }
      count += len;
    }
  }
  return Number(count);
}

/** `uuid:1-5:7,uuid2:tag:1-3` -> uuid[:tag] -> ranges; undefined when it is not such a set. */
function mysqlGtidSet(g: string): Map<string, [bigint, bigint][]> | undefined {
  const out = new Map<string, [bigint, bigint][]>();
  for (const part of g.split(',')) {
    const [uuid, ...rest] = part.split(':');
    if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid) || rest.length === 0) return undefined;
    let key = uuid.toLowerCase();
    for (const r of rest) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(r);
      if (!m) {
        if (!/^[a-z_][a-z0-9_]*$/i.test(r)) return undefined;
        key = `${uuid.toLowerCase()}:${r.toLowerCase()}`;
        continue;
      }
      const ranges = out.get(key) ?? [];
      ranges.push([BigInt(m[1] as string), BigInt(m[2] ?? (m[1] as string))]);
      out.set(key, ranges);
    }
  }
  return out;
}

/**
 * The transactions among SHOW BINLOG EVENTS rows (after a position): one per GTID event (MariaDB
 * `Gtid`, MySQL `Gtid` / `Anonymous_Gtid`); without GTID events (MySQL 5.6 style), one per commit
 * (`Xid`, a `COMMIT` query) and per statement outside BEGIN..COMMIT (DDL). Rotation and restart
 * bookkeeping (Rotate, Format_desc, Gtid_list, Binlog_checkpoint, Previous_gtids, Stop) is ignored.
 */
export function countBinlogTransactions(events: readonly { type: string; info: string }[]): number {
  const real = events.filter((e) => !BOOKKEEPING.has(e.type.toLowerCase()));
  const gtids = real.filter((e) => /^(anonymous_)?gtid$/i.test(e.type)).length;
  if (gtids > 0) return gtids;
  let count = 0;
  let inTx = false;
  for (const e of real) {
    const t = e.type.toLowerCase();
    const info = e.info.trim().toUpperCase();
    if (t === 'query' && info === 'BEGIN') inTx = true;
    else if (t === 'xid' || (t === 'query' && info === 'COMMIT')) {
      count += 1;
      inTx = false;
    } else if (t === 'query' && !inTx) count += 1;
  }
  return count;
}

/** At most this many events are read per binlog file: a count past it is reported as at least that. */
const EVENTS_LIMIT = 10_000;

/**
 * The real transactions `a` binlogged after `since` (up to `now`, its current position): 0 when
 * the coordinates are equal; by GTID when both carry a set and every transaction the server
 * binlogs has a GTID (MariaDB; MySQL at gtid_mode ON: at OFF / OFF_PERMISSIVE, and for relayed
 * anonymous ones at ON_PERMISSIVE, a transaction leaves @@gtid_executed as it was); else by
 * reading the events after `since` from every binlog file from its file on (SHOW BINARY LOGS,
 * SHOW BINLOG EVENTS), where an anonymous transaction is an Anonymous_Gtid event.
 */
export async function transactionsSince(a: MysqlAdmin, since: RecordedPosition, now: BinlogPosition, o?: QueryOptions): Promise<number> {
  if (comparePositions(now, since) === 0) return 0;
  const gtidComplete = since.gtid !== undefined && now.gtidSet !== undefined && ((await gtidModeOf(a)) ?? 'ON') === 'ON';
  const byGtid = gtidComplete ? gtidTransactionsAfter(since.gtid as string, now.gtidSet as string) : undefined;
  if (byGtid !== undefined) return byGtid;
  const files = (await a.session.query('SHOW BINARY LOGS', [], o)).map((r) => String(r['Log_name'])).filter((f) => comparePositions({ file: f, position: 0 }, { file: since.file, position: 0 }) >= 0);
  const events: { type: string; info: string }[] = [];
  for (const f of files) {
    const rows = f === since.file
      ? await a.session.query(`SHOW BINLOG EVENTS IN ? FROM ${Math.trunc(since.position)} LIMIT ${EVENTS_LIMIT}`, [f], o)
      : await a.session.query(`SHOW BINLOG EVENTS IN ? LIMIT ${EVENTS_LIMIT}`, [f], o);
    for (const r of rows) events.push({ type: String(r['Event_type']), info: String(r['Info'] ?? '') });
  }
  return countBinlogTransactions(events);
}

/**
 * Step 3 and the undo of step 3 on the source, per write user: whether the rename on the source
 * may replicate to the target. The target learns the freeze from the replicated RENAME USER and
 * must find the account active there; where a rollback left it frozen alone on the target (an
 * Aurora old writer), the rename runs with sql_log_bin = 0 instead, so the target is never thawed
 * ahead of step 4 (which thaws it after the final position, as always).
 */
export function freezeReplicates(target: { active: boolean; frozen: boolean }): boolean {
  return !(target.frozen && !target.active);
}

export interface UndoThawInput {
  /** The account on the source (the old writer of the undone cutover). */
  source: { active: boolean; frozen: boolean };
  /** On the target, after it has applied everything the source binlogged. */
  target: { active: boolean; frozen: boolean };
  /** The snapshot's record: frozen alone on the target before the cutover (undefined: a journal from before this was recorded). */
  targetFrozenBefore: boolean | undefined;
}

export interface UndoThawPlan {
  /** `none`: already active on the source; `replicated`: a plain rename (the target follows); `unlogged`: with sql_log_bin = 0 (the target keeps its state). */
  thaw: 'none' | 'replicated' | 'unlogged';
  /** What the undo's verify accepts on the target afterwards. */
  targetAfter: 'active' | 'frozen' | 'active-or-frozen';
}

/**
 * The undo of step 3, per write user (pure): the source's account comes back; the target's ends as
 * it was before the cutover. A replicated thaw needs the frozen name alone on the target and is
 * right only when the target had the account active before; where it was frozen before (a
 * rollback's Aurora), the thaw on the source is not binlogged and the target stays frozen. When the
 * source's account is already active the thaw did nothing: the target's account is accepted frozen
 * alone (what a rollback left there, the cutover killed before it changed anything) or active.
 */
export function undoThawPlan(i: UndoThawInput): UndoThawPlan {
  const targetFrozenAlone = i.target.frozen && !i.target.active;
  if (i.source.active && !i.source.frozen) return { thaw: 'none', targetAfter: i.targetFrozenBefore === undefined ? 'active-or-frozen' : i.targetFrozenBefore ? 'frozen' : 'active' };
  if (targetFrozenAlone && i.targetFrozenBefore !== true) return { thaw: 'replicated', targetAfter: 'active' };
  return { thaw: 'unlogged', targetAfter: targetFrozenAlone ? 'frozen' : 'active' };
}
