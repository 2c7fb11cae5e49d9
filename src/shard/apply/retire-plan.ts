import type { JournalEntry } from '../../core/phases/journal.js';
import type { ApplyMove, CurrentServer } from './apply-moves.js';

export interface RetireCandidate {
  server: CurrentServer;
  /** Shards this server held: each must be switched over (and observed) before it goes. */
  shards: string[];
  /** The writer and reader records of those shards. */
  records: { writer: string; reader: string }[];
}

export type RetireStatus =
  | { status: 'ready'; candidate: RetireCandidate; switchedAt: string }
  | { status: 'observing'; candidate: RetireCandidate; switchedAt: string; readyAt: string }
  | { status: 'not-switched'; candidate: RetireCandidate; pending: string[] };

/** When each shard's switchover phase finished, by the apply journal. */
export function switchoverTimes(entries: readonly JournalEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const m = /^(.+)\/switchover$/.exec(e.phase);
    if (m && (e.event === 'done' || e.event === 'skipped')) out.set(m[1] as string, e.at);
  }
  return out;
}

/**
 * Which old servers may be retired now (pure): every server the plan retires, once each shard it
 * held was switched over at least `observationMinutes` ago. A server whose shards are not all
 * switched is never ready, whatever the clock says.
 */
export function retireStatus(moves: readonly ApplyMove[], entries: readonly JournalEntry[], now: Date, observationMinutes: number): RetireStatus[] {
  const switched = switchoverTimes(entries);
  const retired = new Map<string, CurrentServer>();
  for (const m of moves) for (const r of m.retire) retired.set(`${r.host}:${r.port}`, r);
  const out: RetireStatus[] = [];
  for (const [key, server] of retired) {
    const held = moves.filter((m) => [m.master, ...m.replicas].some((s) => `${s.host}:${s.port}` === key));
    const candidate: RetireCandidate = {
      server,
      shards: held.map((m) => m.shard),
      records: held.map((m) => ({ writer: m.cluster.writer_record, reader: m.cluster.reader_record })),
    };
    const pending = held.filter((m) => !switched.has(m.shard)).map((m) => m.shard);
    if (pending.length > 0) {
      out.push({ status: 'not-switched', candidate, pending });
      continue;
    }
    const last = held.map((m) => switched.get(m.shard) as string).sort().at(-1) as string;
    const readyAt = new Date(Date.parse(last) + observationMinutes * 60_000);
    out.push(readyAt.getTime() <= now.getTime() ? { status: 'ready', candidate, switchedAt: last } : { status: 'observing', candidate, switchedAt: last, readyAt: readyAt.toISOString() });
  }
  return out;
}
