import { InvalidMysqlArgumentError } from './mysql-errors.js';

/**
 * MySQL GTID sets, pure: `uuid:1-5:7,uuid2:1-3`, and from 8.3 tagged GTIDs
 * (`uuid:1-5:tag_a:1-3`: a tag applies to the intervals after it). What the server's own
 * GTID_SUBTRACT computes, done here so that refusal rules over two servers' sets stay pure
 * (table-tested, and checked against the real function in the MySQL integration tests).
 */
type Interval = [number, number];

/** Key "uuid" or "uuid:tag" -> sorted, merged, inclusive intervals. */
export type GtidSet = Map<string, Interval[]>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TAG = /^[a-z_][a-z0-9_]{0,31}$/;
const INTERVAL = /^(\d+)(?:-(\d+))?$/;

function bad(text: string, why: string): never {
  throw new InvalidMysqlArgumentError(`not a MySQL GTID set: ${JSON.stringify(text.slice(0, 200))}: ${why}`);
}

export function parseGtidSet(text: string): GtidSet {
  const set: GtidSet = new Map();
  const compact = text.replace(/\s+/g, '');
  if (compact === '') return set;
  for (const part of compact.split(',')) {
    if (part === '') continue;
    const [uuidRaw, ...rest] = part.split(':');
    const uuid = (uuidRaw ?? '').toLowerCase();
    if (!UUID.test(uuid)) bad(text, `"${uuidRaw ?? ''}" is not a server uuid`);
    if (rest.length === 0) bad(text, `${uuid} has no interval`);
    let key = uuid;
    let intervalsSinceTag = 0;
    for (const item of rest) {
      const m = INTERVAL.exec(item);
      if (m) {
        const from = Number(m[1]);
        const to = m[2] === undefined ? from : Number(m[2]);
        if (from < 1 || to < from) bad(text, `interval ${item} is empty or starts below 1`);
        add(set, key, [from, to]);
        intervalsSinceTag++;
      } else if (TAG.test(item.toLowerCase())) {
        if (key !== uuid && intervalsSinceTag === 0) bad(text, `tag ${key.slice(uuid.length + 1)} has no interval`);
        key = `${uuid}:${item.toLowerCase()}`;
        intervalsSinceTag = 0;
      } else {
        bad(text, `"${item}" is neither an interval nor a tag`);
      }
    }
    if (intervalsSinceTag === 0) bad(text, `${key} has no interval`);
  }
  return set;
}

function add(set: GtidSet, key: string, iv: Interval): void {
  const list = [...(set.get(key) ?? []), iv].sort((a, b) => a[0] - b[0]);
  const merged: Interval[] = [];
  for (const [a, b] of list) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  set.set(key, merged);
}

/** a - b: every GTID of a that b lacks. */
export function subtractGtidSets(a: GtidSet, b: GtidSet): GtidSet {
  const out: GtidSet = new Map();
  for (const [key, intervals] of a) {
    let remaining = intervals.map((iv): Interval => [iv[0], iv[1]]);
    for (const [s, e] of b.get(key) ?? []) {
      remaining = remaining.flatMap(([x, y]): Interval[] => {
        if (e < x || s > y) return [[x, y]];
        const parts: Interval[] = [];
        if (s > x) parts.push([x, s - 1]);
        if (e < y) parts.push([e + 1, y]);
        return parts;
      });
    }
    if (remaining.length > 0) out.set(key, remaining);
  }
  return out;
}

/**
 * The canonical text, as the server prints it: one entry per server uuid (sorted), its untagged
 * intervals first, then each tag (sorted) with its intervals: `uuid:1-5:7:tag_a:1-3:tag_b:2`.
 */
export function formatGtidSet(set: GtidSet): string {
  const intervals = (key: string): string => (set.get(key) ?? []).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(':');
  const byUuid = new Map<string, string[]>();
  for (const key of set.keys()) {
    if ((set.get(key) ?? []).length === 0) continue;
    const uuid = key.slice(0, 36);
    byUuid.set(uuid, [...(byUuid.get(uuid) ?? []), key]);
  }
  return [...byUuid.keys()]
    .sort()
    .map((uuid) => {
      // the untagged key is the uuid itself, which sorts before every "uuid:tag"
      const parts = (byUuid.get(uuid) ?? []).sort().map((key) => (key === uuid ? intervals(key) : `${key.slice(37)}:${intervals(key)}`));
      return `${uuid}:${parts.join(':')}`;
    })
    .join(',');
}

/** GTID_SUBTRACT(a, b) on text. */
export function gtidSubtract(a: string, b: string): string {
  return formatGtidSet(subtractGtidSets(parseGtidSet(a), parseGtidSet(b)));
}

/** True when every GTID of a is in b (GTID_SUBSET). */
export function gtidSubset(a: string, b: string): boolean {
  return subtractGtidSets(parseGtidSet(a), parseGtidSet(b)).size === 0;
}
