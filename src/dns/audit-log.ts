import { randomUUID } from 'node:crypto';
import type { QueryOptions, SqlSession } from '../mysql/admin.js';
import { describeChange } from './change-set.js';
import type { PlannedStep } from './change-plan.js';
import { recordView, type NameState } from './record-types.js';

/**
 * The audit table: one row per operation of every change dbfleet makes to records, written in the
 * same transaction as the change (so it exists exactly when the change does).
 */
export interface AuditContext {
  /** Who: "checker@host-a", "cli:alice@ops-1", "switchover shard-7". */
  actor: string;
  /** Why, in words: "failover: aurora-test-instance-03 is the writer", "operator drain". */
  why: string;
}

export interface AuditEntry {
  id: number;
  changeId: string;
  at: string;
  actor: string;
  name: string;
  op: string;
  summary: string;
  before: unknown;
  after: unknown;
  why: string;
  serial: number;
}

/** The JSON an audit row stores for one side of a change. */
export function auditSide(s: NameState): { role: string | null; records: ReturnType<typeof recordView>[] } {
  return { role: s.role ?? null, records: s.records.map(recordView) };
}

export function newChangeId(): string {
  return randomUUID();
}

export async function writeAudit(session: SqlSession, zoneId: number, changeId: string, ctx: AuditContext, step: PlannedStep, serial: number, q: QueryOptions): Promise<void> {
  await session.execute(
    'INSERT INTO dbfleet_audit (change_id, zone, at, actor, name, op, summary, before_state, after_state, why, serial) VALUES (?, ?, UTC_TIMESTAMP(3), ?, ?, ?, ?, ?, ?, ?, ?)',
    [changeId, zoneId, ctx.actor.slice(0, 128), step.change.name, step.change.op, describeChange(step.change).slice(0, 512), JSON.stringify(auditSide(step.before)), JSON.stringify(auditSide(step.after)), ctx.why.slice(0, 1024), serial],
    q,
  );
}

/** The most recent audit rows of a zone (newest first), optionally for one name. */
export async function readAudit(session: SqlSession, zoneId: number, options: { name?: string; limit?: number }, q: QueryOptions): Promise<AuditEntry[]> {
  const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 20)));
  const where = options.name === undefined ? '' : ' AND name = ?';
  const params = options.name === undefined ? [zoneId] : [zoneId, options.name];
  const rows = await session.query(
    `SELECT id, change_id, DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.%fZ') AS at_iso, actor, name, op, summary, before_state, after_state, why, serial FROM dbfleet_audit WHERE zone = ?${where} ORDER BY id DESC LIMIT ${limit}`,
    params,
    q,
  );
  return rows.map((r) => ({
    id: Number(r['id']),
    changeId: String(r['change_id']),
    at: String(r['at_iso']),
    actor: String(r['actor']),
    name: String(r['name']),
    op: String(r['op']),
    summary: String(r['summary']),
    before: JSON.parse(String(r['before_state'])) as unknown,
    after: JSON.parse(String(r['after_state'])) as unknown,
    why: String(r['why']),
    serial: Number(r['serial']),
  }));
}
