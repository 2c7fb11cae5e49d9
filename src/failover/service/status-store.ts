import type { QueryOptions, SqlSession } from '../../mysql/admin.js';
import type { FailoverTimeline } from './failover-timeline.js';

/**
 * Where running checkers publish what they see, in the MyDNS database beside the lease, so that
 * `checker status` (from any host) shows every checker's view, and failover timelines outlive the
 * process that recorded them.
 */
const STATUS_TABLE = `CREATE TABLE IF NOT EXISTS dbfleet_checker_status (
  checker VARCHAR(190) NOT NULL PRIMARY KEY,
  active TINYINT NOT NULL,
  state VARCHAR(16) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  doc MEDIUMTEXT NOT NULL
) ENGINE=InnoDB`;

const TIMELINE_TABLE = `CREATE TABLE IF NOT EXISTS dbfleet_failover (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  cluster VARCHAR(64) NOT NULL,
  from_address VARCHAR(64) NOT NULL,
  to_address VARCHAR(64) NOT NULL,
  recorded_at DATETIME(6) NOT NULL,
  checker VARCHAR(190) NOT NULL,
  timeline TEXT NOT NULL,
  KEY cluster_time (cluster, recorded_at)
) ENGINE=InnoDB`;

export async function ensureStatusTables(s: SqlSession, q: QueryOptions): Promise<void> {
  await s.query(STATUS_TABLE, [], q);
  await s.query(TIMELINE_TABLE, [], q);
}

export async function publishStatus(s: SqlSession, checker: string, active: boolean, state: string, doc: unknown, q: QueryOptions): Promise<void> {
  await s.execute('REPLACE INTO dbfleet_checker_status (checker, active, state, updated_at, doc) VALUES (?, ?, ?, NOW(6), ?)', [checker, active ? 1 : 0, state, JSON.stringify(doc)], q);
}

export async function recordTimeline(s: SqlSession, checker: string, t: FailoverTimeline, q: QueryOptions): Promise<void> {
  await s.execute('INSERT INTO dbfleet_failover (cluster, from_address, to_address, recorded_at, checker, timeline) VALUES (?, ?, ?, NOW(6), ?, ?)', [t.cluster, t.from, t.to, checker, JSON.stringify(t)], q);
}

export interface CheckerStatusRow {
  checker: string;
  active: boolean;
  state: string;
  ageMs: number;
  doc: unknown;
}

export async function readStatuses(s: SqlSession, q: QueryOptions): Promise<CheckerStatusRow[]> {
  const rows = await s.query('SELECT checker, active, state, TIMESTAMPDIFF(MICROSECOND, updated_at, NOW(6)) AS age_us, doc FROM dbfleet_checker_status ORDER BY checker', [], q);
  return rows.map((r) => ({ checker: String(r['checker']), active: Number(r['active']) === 1, state: String(r['state']), ageMs: Math.round(Number(r['age_us']) / 1000), doc: JSON.parse(String(r['doc'])) as unknown }));
}

export async function readTimelines(s: SqlSession, limit: number, q: QueryOptions): Promise<(FailoverTimeline & { recorded_at: string; checker: string })[]> {
  const rows = await s.query('SELECT recorded_at, checker, timeline FROM dbfleet_failover ORDER BY id DESC LIMIT ?', [limit], q);
  return rows.map((r) => ({ ...(JSON.parse(String(r['timeline'])) as FailoverTimeline), recorded_at: String(r['recorded_at']), checker: String(r['checker']) }));
}

/**
 * Stamps the first successful client write after a failover (seen by `dbfleet probe`, which
 * writes through the records like an application) into the checker's stored timeline of the
 * latest failover of that cluster to that address. Returns false when no such timeline waits.
 */
export async function recordFirstWrite(s: SqlSession, cluster: string, address: string, at: number, q: QueryOptions): Promise<boolean> {
  const r = await s.execute(
    "UPDATE dbfleet_failover SET timeline = JSON_SET(timeline, '$.firstWrite', ?) WHERE cluster = ? AND to_address = ? AND JSON_EXTRACT(timeline, '$.firstWrite') IS NULL AND recorded_at > NOW(6) - INTERVAL 10 MINUTE ORDER BY id DESC LIMIT 1",
    [at, cluster, address],
    q,
  );
  return r.affectedRows > 0;
}
