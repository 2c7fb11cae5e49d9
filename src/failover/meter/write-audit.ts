/**
 * What happened to every acknowledged write, judged from which server acknowledged it and which
 * servers hold it afterwards. Pure.
 *
 * The meter writes one row at a time, so sequence order is time order. With one writer at a time
 * (a clean move, a switch back), each server that acknowledges a write already holds every
 * write acknowledged before it (it applied them before taking writes), and every server that
 * follows the final writer holds every write it holds. Anything else means two servers took
 * writes as the writer:
 * - lost: acknowledged, and not on the final writer (all of them when it cannot be read);
 * - split: not on a server that acknowledged a later write (it took writes without the earlier
 *   ones: it was not the writer at that moment);
 * - one-sided: on the final writer, and not on a server that acknowledged writes and follows it
 *   now (it holds the final writer's last write, but not this one: their histories diverged).
 * A server that cannot be read, or does not follow the final writer (it never receives its last
 * write), is unchecked: named, never counted as clean.
 */
export interface Ack {
  seq: number;
  /** The server (address) that acknowledged it. */
  by: string;
}

/** The client's rows on one server after the run; 'unreachable' when it could not be read. */
export type Presence = ReadonlySet<number> | 'unreachable';

export interface WriteAudit {
  finalWriter: string;
  /** Acknowledged writes per server. */
  acknowledgedBy: Record<string, number>;
  lost: number[];
  split: { seq: number; missingOn: string }[];
  oneSided: { seq: number; missingOn: string }[];
  /** Servers that acknowledged writes but could not be checked, and why. */
  unchecked: { server: string; why: string }[];
}

export function auditWrites(acks: readonly Ack[], presence: ReadonlyMap<string, Presence>, finalWriter: string): WriteAudit {
  const acknowledgedBy: Record<string, number> = {};
  const lastAckBy = new Map<string, number>();
  for (const a of acks) {
    acknowledgedBy[a.by] = (acknowledgedBy[a.by] ?? 0) + 1;
    lastAckBy.set(a.by, Math.max(lastAckBy.get(a.by) ?? 0, a.seq));
  }
  const unchecked: WriteAudit['unchecked'] = [];
  const rows = (server: string): ReadonlySet<number> | undefined => {
    const p = presence.get(server);
    return p === undefined || p === 'unreachable' ? undefined : p;
  };
  const onWriter = rows(finalWriter);
  if (!onWriter) unchecked.push({ server: finalWriter, why: 'the final writer could not be read' });
  // unread, none of them is known to be there
  const lost = onWriter ? acks.filter((a) => !onWriter.has(a.seq)).map((a) => a.seq) : acks.map((a) => a.seq);

  const split: WriteAudit['split'] = [];
  const oneSided: WriteAudit['oneSided'] = [];
  const lastOnWriter = onWriter ? Math.max(0, ...acks.filter((a) => onWriter.has(a.seq)).map((a) => a.seq)) : 0;
  for (const [server, last] of lastAckBy) {
    const held = rows(server);
    if (!held) {
      if (server !== finalWriter) unchecked.push({ server, why: 'could not be read' });
      continue;
    }
    for (const a of acks) if (a.seq < last && !held.has(a.seq)) split.push({ seq: a.seq, missingOn: server });
    if (server === finalWriter || !onWriter) continue;
    if (lastOnWriter > 0 && !held.has(lastOnWriter)) {
      unchecked.push({ server, why: `does not follow ${finalWriter} (its last write, ${lastOnWriter}, never arrived)` });
      continue;
    }
    for (const a of acks) if (a.seq > last && onWriter.has(a.seq) && !held.has(a.seq)) oneSided.push({ seq: a.seq, missingOn: server });
  }
  return { finalWriter, acknowledgedBy, lost, split, oneSided, unchecked };
}

/** Writes that fail a run: lost, split or one-sided. */
export function badWrites(a: WriteAudit): number {
  return a.lost.length + a.split.length + a.oneSided.length;
}

/** One line for a report: counts, and the first few of each kind. */
export function describeAudit(a: WriteAudit): string {
  const servers = Object.entries(a.acknowledgedBy).map(([s, n]) => `${n} by ${s}`).join(', ') || 'none';
  const few = (xs: { seq: number; missingOn: string }[]): string => (xs.length === 0 ? '' : ` (e.g. ${xs.slice(0, 3).map((x) => `#${x.seq} not on ${x.missingOn}`).join(', ')})`);
  const parts = [`${a.lost.length} lost`, `${a.split.length} split${few(a.split)}`, `${a.oneSided.length} on one side only${few(a.oneSided)}`];
  const unchecked = a.unchecked.length === 0 ? '' : `; unchecked: ${a.unchecked.map((u) => `${u.server} (${u.why})`).join(', ')}`;
  return `acknowledged ${servers}; ${parts.join(', ')}${unchecked}`;
}
