import { describe, expect, it } from 'vitest';
import { checkDrainInput, drainsByName, planDrain, planUndrain, raisesDrained, type Drain } from '../../src/dns/drains.js';
import type { ChangeSet } from '../../src/dns/change-set.js';
import type { AddressRecord, NameState } from '../../src/dns/record-types.js';

const ZONE = 'db.example.internal.';
const rec = (id: number, address: string, weight: number): AddressRecord => ({ id, address, type: 'A', weight, ttl: 1, active: true });
const writer: NameState = { name: 'aurora-test-w', role: 'writer', records: [rec(1, '127.0.10.1', 100)] };
const reader: NameState = { name: 'aurora-test-r', role: 'reader', records: [rec(2, '127.0.10.1', 0), rec(3, '127.0.10.2', 100), rec(4, '127.0.10.3', 100)] };
const drain = (name: string, address: string): Drain => ({ name, address, reason: 'type change', actor: 'cli:alice@ops', createdAt: '2026-01-01T00:00:00.000Z' });

describe('checkDrainInput: bad input is refused before anything is read', () => {
  const cases: { why: string; args: Parameters<typeof checkDrainInput>; error?: RegExp; reason?: string }[] = [
    { why: 'a reader address', args: [ZONE, 'aurora-test-r', '127.0.10.2', 'type change'], reason: 'type change' },
    { why: 'no zone known yet (from the config later): the name is checked then', args: [undefined, 'Not A Name!', '127.0.10.2', undefined], reason: '' },
    { why: 'the reason is trimmed', args: [ZONE, 'aurora-test-r', '127.0.10.2', '  restart  '], reason: 'restart' },
    { why: 'not an IP', args: [ZONE, 'aurora-test-r', '127.0.10.256', 'x'], error: /"127.0.10.256" is not an IP address/ },
    { why: 'a name outside the zone', args: [ZONE, 'aurora-test-r.other.zone.', '127.0.10.2', 'x'], error: /is not inside zone db.example.internal./ },
    { why: 'an invalid host name', args: [ZONE, 'bad name', '127.0.10.2', 'x'], error: /is not a valid host name/ },
    { why: 'an empty reason', args: [ZONE, 'aurora-test-r', '127.0.10.2', '   '], error: /--reason is empty/ },
    { why: 'a reason too long for the table', args: [ZONE, 'aurora-test-r', '127.0.10.2', 'x'.repeat(513)], error: /--reason is 513 characters, more than 512/ },
    { why: 'a negative restore weight', args: [ZONE, 'aurora-test-r', '127.0.10.2', 'x', -1], error: /weight -1 is invalid/ },
  ];
  for (const c of cases) {
    it(c.why, () => {
      if (c.error) expect(() => checkDrainInput(...c.args)).toThrow(c.error);
      else expect(checkDrainInput(...c.args)).toBe(c.reason);
    });
  }
});

describe('planDrain / planUndrain', () => {
  it('drains a reader: its weight to 0, expecting what was read', () => {
    expect(planDrain(reader, '127.0.10.2')).toEqual({ op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 100 }, weight: 0 });
  });

  it("drains the writer's entry in the reader name (it then never takes the fallback reads)", () => {
    expect(planDrain(reader, '127.0.10.1')).toMatchObject({ expect: { weight: 0 }, weight: 0 });
  });

  it("refuses the writer name's only record, saying why and what to do instead", () => {
    expect(() => planDrain(writer, '127.0.10.1')).toThrow(/aurora-test-w is a writer name: its only record \(127.0.10.1\) cannot be drained, a writer name must keep one answerable record; nothing was changed/);
    try {
      planDrain(writer, '127.0.10.1');
    } catch (e) {
      expect(e).toMatchObject({ code: 'DNS_INVARIANT', cliExitCode: 1 });
      expect((e as { next: string }).next).toMatch(/reader name/);
    }
  });

  it('refuses an address that is not under the name, and a name without records', () => {
    expect(() => planDrain(reader, '127.0.10.9')).toThrow(/aurora-test-r has no record for 127.0.10.9 \(it has 127.0.10.1, 127.0.10.2, 127.0.10.3\)/);
    expect(() => planDrain({ name: 'nope', role: undefined, records: [] }, '127.0.10.2')).toThrow(/nope has no address records/);
  });

  it('undrain keeps the weight (the checker restores it) or sets the one given', () => {
    const drained: NameState = { ...reader, records: [rec(2, '127.0.10.1', 0), rec(3, '127.0.10.2', 0), rec(4, '127.0.10.3', 100)] };
    expect(planUndrain(drained, '127.0.10.2')).toMatchObject({ expect: { weight: 0 }, weight: 0 });
    expect(planUndrain(drained, '127.0.10.2', 100)).toMatchObject({ expect: { weight: 0 }, weight: 100 });
    expect(() => planUndrain(drained, '127.0.10.2', 1.5)).toThrow(/weight 1.5 is invalid/);
  });
});

describe('drainsByName / raisesDrained', () => {
  const drained = drainsByName([drain('aurora-test-r', '127.0.10.2'), drain('aurora-test-r', '127.0.10.3'), drain('other-r', '10.0.0.1')]);

  it('groups drained addresses by name', () => {
    expect([...drained].map(([n, a]) => [n, [...a].sort()])).toEqual([
      ['aurora-test-r', ['127.0.10.2', '127.0.10.3']],
      ['other-r', ['10.0.0.1']],
    ]);
  });

  it('finds the operations that would put a drained address back into service, whatever form the name is in', () => {
    const changes: ChangeSet = [
      { op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.1' }, address: '127.0.10.2' },
      { op: 'set-weight', name: 'aurora-test-r.db.example.internal.', address: '127.0.10.2', expect: { weight: 0 }, weight: 100 },
      { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.3', expect: { weight: 100 }, weight: 0 },
      { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.1', expect: { weight: 0 }, weight: 100 },
      { op: 'add-address', name: 'other-r', address: '10.0.0.1', weight: 100 },
      { op: 'add-address', name: 'other-r', address: '10.0.0.2', weight: 100 },
    ];
    expect(raisesDrained(changes, drained, ZONE).map((c) => `${c.op} ${'address' in c ? c.address : ''}`)).toEqual(['set-weight 127.0.10.2', 'add-address 10.0.0.1']);
    expect(raisesDrained(changes, new Map(), ZONE)).toEqual([]);
  });
});
