import type { RecordOp } from '../../dns/change-set.js';
import type { Dialect } from '../../mysql/dialect.js';
import type { RunbookAction, RunbookInput } from '../runbook.js';
import { describeInstance, isAurora } from '../sides.js';
import { readerChanges, ttlChanges } from './record-changes.js';

/** What several steps' text needs, computed once from the runbook's input (pure). */
export interface RunbookFacts {
  from: string;
  to: string;
  fromAurora: boolean;
  toAurora: boolean;
  /** The write users as SQL accounts, comma-separated. */
  users: string;
  maxOldTtl: number;
  lower: RecordOp[];
  restore: RecordOp[];
  readerOps: RecordOp[];
  writerOp: RecordOp;
}

export const MYDNS = 'MyDNS';
// Stands in for the position step 6 records, in a runbook printed before it ran.
export const PLACEHOLDER_POSITION = 987_654_321;

export function runbookFacts(i: RunbookInput): RunbookFacts {
  return {
    from: describeInstance(i.from.writer),
    to: describeInstance(i.to.writer),
    fromAurora: isAurora(i.from.engine),
    toAurora: isAurora(i.to.engine),
    users: i.writeUsers.map((u) => `'${u.user}'@'${u.host}'`).join(', '),
    maxOldTtl: Math.max(i.dns.writer.ttl, i.dns.reader.ttl),
    lower: ttlChanges(i.dns, (x) => x.ttl, () => i.cutoverTtl),
    restore: ttlChanges(i.dns, () => i.cutoverTtl, (x) => x.ttl),
    readerOps: readerChanges({ ...i.dns.reader, ttl: i.cutoverTtl }, i.readerEntriesAfter),
    writerOp: { op: 'replace-writer', name: i.dns.writer.name, expect: { address: i.from.writer.host }, address: i.to.writer.host },
  };
}

export function describeOp(op: RecordOp): string {
  switch (op.op) {
    case 'set-ttl':
      return `${op.name}: TTL ${'ttl' in op.expect ? op.expect.ttl : '?'} s -> ${op.ttl} s`;
    case 'add-address':
      return `${op.name}: add ${op.address} weight ${op.weight}`;
    case 'remove-address':
      return `${op.name}: remove ${op.address} (weight ${op.expect.weight})`;
    case 'set-weight':
      return `${op.name}: ${op.address} weight ${op.expect.weight} -> ${op.weight}`;
    case 'replace-writer':
      return `${op.name}: ${op.expect.address} -> ${op.address}`;
    default:
      return `${op.name}: ${op.op}`;
  }
}

export function dnsActions(sets: RecordOp[][]): RunbookAction[] {
  return sets.map((set) => ({ on: MYDNS, kind: 'dns', text: `one compare-and-swap change set: ${set.map(describeOp).join('; ')}` }));
}

export function sql(on: string, statements: readonly { redacted: string }[] | string[]): RunbookAction[] {
  return statements.map((s) => ({ on, kind: 'sql', text: typeof s === 'string' ? s : s.redacted }));
}

export const positionText = (p: { file: string; position: number } | undefined, what: string): string => (p ? `${p.file}:${p.position}` : `<${what}>`);

/**
 * The statement that reads a server's binlog position, as DialectAdmin.binlogPosition runs it: the
 * dialect's consistent read where it has one (MySQL 8.0.14+ and Aurora 3: performance_schema.log_status),
 * with the status row it falls back to when the server refuses that (no BACKUP_ADMIN); else the status row.
 */
export function positionRead(d: Dialect): string {
  const status = d.binlogStatusQuery().redacted;
  const consistent = d.consistentPosition();
  return consistent ? `${consistent.statement.redacted}; without BACKUP_ADMIN: ${status}, read until two reads agree` : status;
}
