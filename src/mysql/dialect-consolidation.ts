import type { Row } from './admin.js';
import type { CloneDonor, DumpGtidPosition, SnapshotPositionPlan } from './dialect.js';
import { InvalidMysqlArgumentError } from './mysql-errors.js';
import { formatGtidSet, parseGtidSet, subtractGtidSets, type GtidSet } from './mysql-gtid-set.js';
import { asText, unexpected } from './row-values.js';
import { checkHost, checkPassword, checkPort, checkUser, quote } from './sql-literal.js';
import { MASK, secretStatement, statement, type Statement } from './statement.js';

/**
 * The pieces of the dialects that the shard consolidator needs (switchover, verify, seed), one
 * builder or pure comparison per engine. dialect-mysql.ts and dialect-mariadb.ts point at these.
 */

// ---- GTID comparisons, pure ------------------------------------------------------------------

/** MariaDB GTID position ("0-101-57,1-5-9"): domain -> { server, seq }; the last GTID of each domain. */
export function parseMariadbPosition(list: string): Map<number, { server: number; seq: number }> {
  const out = new Map<number, { server: number; seq: number }>();
  for (const part of list.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(part);
    if (!m) throw new InvalidMysqlArgumentError(`not a MariaDB GTID: ${part}`);
    out.set(Number(m[1]), { server: Number(m[2]), seq: Number(m[3]) });
  }
  return out;
}

/** MariaDB: `have` has applied everything of `want` when, per domain, its seq is at least as high. */
export function mariadbCovers(have: string, want: string): boolean {
  const h = parseMariadbPosition(have);
  return [...parseMariadbPosition(want)].every(([domain, w]) => (h.get(domain)?.seq ?? -1) >= w.seq);
}

/** MariaDB positions are equal when they list the same GTIDs, in whatever order. */
export function mariadbSame(a: string, b: string): boolean {
  const norm = (x: string): string => [...parseMariadbPosition(x)].sort(([d1], [d2]) => d1 - d2).map(([d, g]) => `${d}-${g.server}-${g.seq}`).join(',');
  return norm(a) === norm(b);
}

/** MariaDB: transactions behind, by sequence numbers summed over the domains (a domain's seq counts its transactions). */
export function mariadbBehind(target: string, applied: string): number | null {
  try {
    const t = parseMariadbPosition(target);
    const a = parseMariadbPosition(applied);
    let behind = 0;
    for (const [domain, g] of t) behind += Math.max(0, g.seq - (a.get(domain)?.seq ?? 0));
    return behind;
  } catch {
    return null;
  }
}

function count(set: GtidSet): number {
  let n = 0;
  for (const intervals of set.values()) for (const [a, b] of intervals) n += b - a + 1;
  return n;
}

/** MySQL GTID_SUBSET(want, have). */
export function mysqlCovers(have: string, want: string): boolean {
  return subtractGtidSets(parseGtidSet(want), parseGtidSet(have)).size === 0;
}

export function mysqlSame(a: string, b: string): boolean {
  return formatGtidSet(parseGtidSet(a)) === formatGtidSet(parseGtidSet(b));
}

/** MySQL: the number of GTIDs of `target` that `applied` lacks. */
export function mysqlBehind(target: string, applied: string): number | null {
  try {
    return count(subtractGtidSets(parseGtidSet(target), parseGtidSet(applied)));
  } catch {
    return null;
  }
}

// ---- verify: a replica read in a consistent snapshot at an exact position --------------------

const SLAVE_POS_TABLE = /^gtid_slave_pos[A-Za-z0-9_]*$/;

/**
 * MariaDB: mysql.gtid_slave_pos (and the gtid_pos_auto_engines tables) are updated in the same
 * transaction as each applied transaction when they are InnoDB, so the rows a snapshot sees are
 * the position of exactly the data it sees. Per domain, the row of highest sub_id is the last.
 */
export const mariadbSnapshotPosition: SnapshotPositionPlan = {
  kind: 'position-tables',
  tablesQuery: statement(
    "SELECT table_name AS t, engine AS e FROM information_schema.tables WHERE table_schema = 'mysql' AND (table_name = 'gtid_slave_pos' OR table_name LIKE 'gtid\\_slave\\_pos\\_%')",
  ),
  parseTables: (rows) => rows.map((r) => ({ name: asText(r['t']), engine: asText(r['e']) })),
  rowsQuery: (table) => {
    if (!SLAVE_POS_TABLE.test(table)) throw new InvalidMysqlArgumentError(`mysql.${table} is not a gtid_slave_pos table name dbfleet will quote`);
    return statement(`SELECT domain_id AS d, sub_id AS s, server_id AS sv, seq_no AS n FROM mysql.\`${table}\``);
  },
  parsePosition: (rows: readonly Row[]) => {
    const last = new Map<string, { sub: bigint; gtid: string }>();
    for (const r of rows) {
      const domain = asText(r['d']);
      if (!/^\d+$/.test(domain)) unexpected('gtid_slave_pos row', r);
      const sub = BigInt(asText(r['s']));
      const seen = last.get(domain);
      if (!seen || sub > seen.sub) last.set(domain, { sub, gtid: `${domain}-${asText(r['sv'])}-${asText(r['n'])}` });
    }
    return [...last.keys()]
      .sort((x, y) => Number(x) - Number(y))
      .map((d) => last.get(d)?.gtid)
      .join(',');
  },
};

/**
 * MySQL: mysql.gtid_executed is NOT what a snapshot needs. With the binary log on, InnoDB keeps
 * each transaction's GTID in its undo log and a background thread writes them to the table in
 * batches, so a snapshot sees the table behind its own data. Measured on 9.7.4
 * (bench/mysql-snapshot-position.bench.ts: a replica with log_replica_updates and the
 * multi-threaded applier, applying a write every millisecond): the table matched the snapshot's
 * rows in 4 (another run: 8) of 300 snapshots, and lagged in the others. Instead nothing may
 * commit while the snapshot opens and @@gtid_executed is read: the applier (the only writer of a
 * super_read_only replica) is paused for those milliseconds with STOP REPLICA SQL_THREAD, which
 * returns once every worker has committed what it started (with replica_preserve_commit_order,
 * the default from 8.0.27, without gaps). A global read lock would do it too, but while it waits
 * for a long query its table flush makes every new query on those tables wait as well; pausing
 * the applier never touches readers. REPLICA keywords from 8.0.22.
 */
export function mysqlSnapshotPosition(replica: 'REPLICA' | 'SLAVE'): SnapshotPositionPlan {
  return {
    kind: 'applier-pause',
    pause: [statement(`STOP ${replica} SQL_THREAD`)],
    position: statement('SELECT @@GLOBAL.gtid_executed AS gtid'),
    resume: [statement(`START ${replica} SQL_THREAD`)],
  };
}

// ---- seed: a physical copy over the MySQL protocol --------------------------------------------

/**
 * MySQL CLONE, run on the recipient: the donor is allowed first (clone_valid_donor_list), then
 * the recipient's data is replaced by the donor's. The password is inlined (CLONE takes no
 * placeholders) and masked in `redacted`.
 */
export function mysqlCloneStatements(donor: CloneDonor): Statement[] {
  const host = checkHost(donor.host, 'donor host');
  const port = checkPort(donor.port, 'donor port');
  const user = checkUser(donor.user, 'clone user');
  const password = checkPassword(donor.password, 'clone password');
  const render = (pw: string): string => `CLONE INSTANCE FROM ${quote(user)}@${quote(host)}:${port} IDENTIFIED BY ${pw}`;
  return [statement(`SET GLOBAL clone_valid_donor_list = ${quote(`${host}:${port}`)}`), secretStatement(render(quote(password)), render(`'${MASK}'`), [password])];
}

// ---- seed: a dump's GTID position ---------------------------------------------------------

/**
 * MariaDB: mariadb-dump --master-data=2 --gtid writes the position as a commented
 * `SET GLOBAL gtid_slave_pos='0-1-5';` (after the data: the whole file is searched).
 */
export const mariadbDumpGtidPosition: DumpGtidPosition = {
  grep: "SET GLOBAL gtid_slave_pos *= *'",
  parse: (line) => /SET GLOBAL gtid_slave_pos\s*=\s*'([^']*)'/.exec(line)?.[1],
};
