/**
 * src/mysql/mysql-gtid-set.ts, pure: MySQL GTID set text (with 8.3+ tags) parsed, subtracted and
 * printed the way the server prints it. The expected texts are what MySQL 9.7.4's GTID_SUBTRACT /
 * GTID_SUBSET return for the same arguments (the generated comparison against the real function
 * is test/integration/mysql-mysql97-replication.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { formatGtidSet, gtidSubset, gtidSubtract, parseGtidSet } from '../../src/mysql/mysql-gtid-set.js';

const A = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
const B = '7a3c1f02-0b4e-11ef-8d2a-02fc00000002';
const C = 'e9736ced-ef1e-11f1-92cf-02fc00000001';

describe('parseGtidSet + formatGtidSet: the server canonical text', () => {
  it.each([
    ['empty', '', ''],
    ['only whitespace', ' \n ', ''],
    ['one GTID', `${A}:7`, `${A}:7`],
    ['an interval', `${A}:1-5`, `${A}:1-5`],
    ['a one-element interval prints as a number', `${A}:4-4`, `${A}:4`],
    ['upper-case uuid, as older servers and humans write it', `${A.toUpperCase()}:1-3`, `${A}:1-3`],
    ['the server wraps long sets after commas', `${A}:1-3,\n${B}:1-9`, `${A}:1-3,${B}:1-9`],
    ['uuids sorted', `${C}:1,${A}:2,${B}:3`, `${A}:2,${B}:3,${C}:1`],
    ['intervals sorted and merged when they overlap', `${A}:5-9:1-6`, `${A}:1-9`],
    ['adjacent intervals merge', `${A}:1-3:4-6:8`, `${A}:1-6:8`],
    ['a uuid named twice is one entry', `${A}:1-2,${B}:1,${A}:3-4`, `${A}:1-4,${B}:1`],
    ['a tag applies to the intervals after it', `${A}:1-5:tag_a:1-3:7`, `${A}:1-5:tag_a:1-3:7`],
    ['untagged first, then tags sorted', `${A}:tag_b:2:tag_a:1,${A}:9`, `${A}:9:tag_a:1:tag_b:2`],
    ['tags are case-insensitive, printed lower-case', `${A}:TAG_X:1-2`, `${A}:tag_x:1-2`],
    ['a tag named twice merges', `${A}:t1:1-2,${A}:t1:3`, `${A}:t1:1-3`],
    ['a tag of 32 characters', `${A}:${'a'.repeat(32)}:1`, `${A}:${'a'.repeat(32)}:1`],
    ['a tag that starts with an underscore', `${A}:_x9:1`, `${A}:_x9:1`],
    ['a tagged-only uuid', `${B}:blue:1-2,${A}:1`, `${A}:1,${B}:blue:1-2`],
  ])('%s', (_name, text, canonical) => {
    expect(formatGtidSet(parseGtidSet(text))).toBe(canonical);
  });

  it.each([
    ['not a uuid', 'abc:1-3', /not a server uuid/],
    ['a uuid without intervals', A, /has no interval/],
    ['an interval starting at 0', `${A}:0-3`, /starts below 1/],
    ['an interval that runs backwards', `${A}:5-3`, /empty/],
    ['a tag without intervals', `${A}:1-3:tag_a`, /tag_a has no interval/],
    ['a tag followed by another tag', `${A}:tag_a:tag_b:1`, /tag tag_a has no interval/],
    ['a tag that starts with a digit', `${A}:9tag:1`, /neither an interval nor a tag/],
    ['a tag of 33 characters', `${A}:${'a'.repeat(33)}:1`, /neither an interval nor a tag/],
    ['a MariaDB GTID', '0-1-100', /not a server uuid/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseGtidSet(text)).toThrow(message);
  });
});

describe('gtidSubtract (GTID_SUBTRACT) and gtidSubset (GTID_SUBSET)', () => {
  it.each([
    ['nothing from nothing', '', '', ''],
    ['everything minus nothing', `${A}:1-10`, '', `${A}:1-10`],
    ['nothing minus everything', '', `${A}:1-10`, ''],
    ['equal sets', `${A}:1-10`, `${A}:1-10`, ''],
    ['a replica behind its source has nothing errant', `${A}:1-7`, `${A}:1-10`, ''],
    ['the tail the other lacks', `${A}:1-10`, `${A}:1-7`, `${A}:8-10`],
    ['a hole in the middle splits an interval', `${A}:1-10`, `${A}:4-6`, `${A}:1-3:7-10`],
    ['several intervals cut by several', `${A}:1-5:8-12:20`, `${A}:3-9:11`, `${A}:1-2:10:12:20`],
    ['a uuid the other lacks is kept whole', `${A}:1-3,${B}:1-2`, `${A}:1-3`, `${B}:1-2`],
    ['a write of the candidate\'s own behind replicated ones', `${A}:1-100,${C}:1`, `${A}:1-120`, `${C}:1`],
    ['a tag is its own GTID space', `${A}:1-5:tag_a:1-5`, `${A}:1-5`, `${A}:tag_a:1-5`],
    ['untagged does not cover tagged', `${A}:tag_a:1-3`, `${A}:1-3`, `${A}:tag_a:1-3`],
    ['tagged minus tagged', `${A}:tag_a:1-9:tag_b:1`, `${A}:tag_a:4-5`, `${A}:tag_a:1-3:6-9:tag_b:1`],
    ['untagged and tagged both left', `${A}:1-4:x:1-2,${B}:y:3`, `${A}:2:x:2`, `${A}:1:3-4:x:1,${B}:y:3`],
  ])('%s', (_name, a, b, difference) => {
    expect(gtidSubtract(a, b)).toBe(difference);
    expect(gtidSubset(a, b)).toBe(difference === '');
  });

  it('a - b and b are disjoint, and (a - b) + (a ∩ b) is a', () => {
    const a = `${A}:1-20:30-40:t:1-9,${B}:5`;
    const b = `${A}:10-35:t:3,${C}:1`;
    const d = gtidSubtract(a, b);
    expect(gtidSubtract(d, b)).toBe(d);
    const common = gtidSubtract(a, d);
    expect(formatGtidSet(parseGtidSet(`${d},${common}`))).toBe(formatGtidSet(parseGtidSet(a)));
  });
});
