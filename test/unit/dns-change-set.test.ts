import { describe, expect, it } from 'vitest';
import { describeChangeSet, validateChangeSet, type ChangeSet, type RecordOp } from '../../src/dns/change-set.js';
import { diffName, planChanges } from '../../src/dns/change-plan.js';
import { planClusterRegistration, matchesRegistration } from '../../src/dns/cluster-records.js';
import type { AddressRecord, NameState } from '../../src/dns/record-types.js';

const rec = (id: number, address: string, weight: number, ttl = 1, active = true): AddressRecord => ({ id, address, type: 'A', weight, ttl, active });

/** The seed's normal state: writer instance-01 (.1); readers .2 and .3 at 100, the writer's entry at 0. */
function seedState(): Map<string, NameState> {
  return new Map<string, NameState>([
    ['aurora-test-w', { name: 'aurora-test-w', role: 'writer', records: [rec(1, '127.0.10.1', 100)] }],
    ['aurora-test-r', { name: 'aurora-test-r', role: 'reader', records: [rec(2, '127.0.10.1', 0), rec(3, '127.0.10.2', 100), rec(4, '127.0.10.3', 100)] }],
  ]);
}

const weights = (s: NameState | undefined): Record<string, number> => Object.fromEntries((s?.records ?? []).map((r) => [r.address, r.weight]));

describe('validateChangeSet', () => {
  const cases: { why: string; changes: ChangeSet; error?: RegExp }[] = [
    { why: 'a well-formed failover', changes: [{ op: 'replace-writer', name: 'w', expect: { address: '10.0.0.1' }, address: '10.0.0.2' }, { op: 'set-weight', name: 'r', address: '10.0.0.2', expect: { weight: 100 }, weight: 0 }] },
    { why: 'empty', changes: [], error: /empty/ },
    { why: 'not an IP', changes: [{ op: 'set-weight', name: 'r', address: '10.0.0.256', expect: { weight: 1 }, weight: 0 }], error: /change 1 \(set-weight r\).*not an IP address/ },
    { why: 'negative weight', changes: [{ op: 'set-weight', name: 'r', address: '10.0.0.1', expect: { weight: 1 }, weight: -1 }], error: /weight -1 is invalid/ },
    { why: 'fractional weight', changes: [{ op: 'set-weight', name: 'r', address: '10.0.0.1', expect: { weight: 1 }, weight: 0.5 }], error: /weight 0.5 is invalid/ },
    { why: 'TTL 0', changes: [{ op: 'set-ttl', name: 'r', expect: { ttl: 60 }, ttl: 0 }], error: /ttl 0 is out of range/ },
    { why: 'TTL over a week', changes: [{ op: 'set-ttl', name: 'r', expect: { ttl: 60 }, ttl: 604_801 }], error: /out of range/ },
    { why: 'absolute name (must be normalised first)', changes: [{ op: 'set-ttl', name: 'r.example.com.', expect: { ttl: 60 }, ttl: 5 }], error: /relative/ },
    { why: 'writer with two addresses', changes: [{ op: 'create-name', name: 'w', role: 'writer', ttl: 1, entries: [{ address: '10.0.0.1', weight: 100 }, { address: '10.0.0.2', weight: 100 }] }], error: /exactly one address/ },
    { why: 'writer at weight 0', changes: [{ op: 'create-name', name: 'w', role: 'writer', ttl: 1, entries: [{ address: '10.0.0.1', weight: 0 }] }], error: /weight > 0/ },
    { why: 'duplicate address', changes: [{ op: 'create-name', name: 'r', role: 'reader', ttl: 1, entries: [{ address: '10.0.0.1', weight: 1 }, { address: '10.0.0.1', weight: 0 }] }], error: /listed twice/ },
    { why: 'IPv6 is fine', changes: [{ op: 'add-address', name: 'r', address: '::1', weight: 5 }] },
  ];
  for (const c of cases) {
    it(c.why, () => {
      if (c.error) expect(() => validateChangeSet(c.changes)).toThrow(c.error);
      else expect(() => validateChangeSet(c.changes)).not.toThrow();
    });
  }

  it('prints one line per operation for --dry-run', () => {
    expect(describeChangeSet([{ op: 'replace-writer', name: 'w', expect: { address: '10.0.0.1' }, address: '10.0.0.2' }, { op: 'set-ttl', name: 'r', expect: { ttl: 60 }, ttl: 1 }])).toEqual([
      'replace writer w: 10.0.0.1 -> 10.0.0.2',
      'set ttl r: 60 -> 1',
    ]);
  });
});

describe('planChanges: compare-and-swap and invariants', () => {
  it("walks the seed's failover tables: candidate restarts, writer switch, old writer returns", () => {
    let state: Map<string, NameState> = seedState();
    // failover: instance-03 restarts to become the writer -> its reader weight drops to 0
    state = planChanges(state, [{ op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.3', expect: { weight: 100 }, weight: 0 }]).after;
    // writer switched to instance-03; the old writer (instance-01) is down, its entry stays 0
    state = planChanges(state, [{ op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.1' }, address: '127.0.10.3' }]).after;
    expect(state.get('aurora-test-w')?.records.map((r) => r.address)).toEqual(['127.0.10.3']);
    // the old writer returns as a reader
    state = planChanges(state, [{ op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.1', expect: { weight: 0 }, weight: 100 }]).after;
    expect(weights(state.get('aurora-test-r'))).toEqual({ '127.0.10.1': 100, '127.0.10.2': 100, '127.0.10.3': 0 });
  });

  const conflicts: { why: string; op: RecordOp; error: RegExp; code: string }[] = [
    { why: 'stale weight', op: { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 50 }, weight: 0 }, error: /expected weight 50 for 127.0.10.2, found 100/, code: 'DNS_CONFLICT' },
    { why: 'writer moved meanwhile', op: { op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.2' }, address: '127.0.10.3' }, error: /points at 127.0.10.1/, code: 'DNS_CONFLICT' },
    { why: 'address already there', op: { op: 'add-address', name: 'aurora-test-r', address: '127.0.10.2', weight: 1 }, error: /already there/, code: 'DNS_CONFLICT' },
    { why: 'removed meanwhile', op: { op: 'remove-address', name: 'aurora-test-r', address: '127.0.10.9', expect: { weight: 0 } }, error: /not there/, code: 'DNS_CONFLICT' },
    { why: 'stale TTL', op: { op: 'set-ttl', name: 'aurora-test-r', expect: { ttl: 60 }, ttl: 5 }, error: /expected ttl 60/, code: 'DNS_CONFLICT' },
    { why: 'name exists', op: { op: 'create-name', name: 'aurora-test-r', role: 'reader', ttl: 1, entries: [{ address: '10.0.0.1', weight: 1 }] }, error: /already exists/, code: 'DNS_CONFLICT' },
    { why: 'unknown name', op: { op: 'set-weight', name: 'nope', address: '127.0.10.2', expect: { weight: 100 }, weight: 0 }, error: /nope has no address records/, code: 'DNS_UNKNOWN_NAME' },
    { why: 'unknown address', op: { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.9', expect: { weight: 100 }, weight: 0 }, error: /no record for 127.0.10.9/, code: 'DNS_UNKNOWN_NAME' },
    { why: 'draining the writer name', op: { op: 'set-weight', name: 'aurora-test-w', address: '127.0.10.1', expect: { weight: 100 }, weight: 0 }, error: /without exactly one answerable record/, code: 'DNS_INVARIANT' },
    { why: 'a second writer address', op: { op: 'add-address', name: 'aurora-test-w', address: '127.0.10.2', weight: 100 }, error: /without exactly one/, code: 'DNS_INVARIANT' },
    { why: 'removing the writer address', op: { op: 'remove-address', name: 'aurora-test-w', address: '127.0.10.1', expect: { weight: 100 } }, error: /would be: none/, code: 'DNS_INVARIANT' },
    { why: 'replace-writer on a reader pool', op: { op: 'replace-writer', name: 'aurora-test-r', expect: { address: '127.0.10.1' }, address: '127.0.10.9' }, error: /reader pool/, code: 'DNS_INVARIANT' },
  ];
  for (const c of conflicts) {
    it(`refuses: ${c.why}`, () => {
      const before = seedState();
      expect(() => planChanges(before, [c.op])).toThrow(c.error);
      expect(() => planChanges(before, [c.op])).toThrow(expect.objectContaining({ code: c.code }));
      // the input is never modified
      expect(before).toEqual(seedState());
    });
  }

  it('checks each operation against the state the previous ones left (a set is all or nothing)', () => {
    const ok = planChanges(seedState(), [
      { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 100 }, weight: 0 },
      { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 0 }, weight: 7 },
    ]);
    expect(weights(ok.after.get('aurora-test-r'))['127.0.10.2']).toBe(7);
    expect(ok.steps.map((s) => weights(s.after)['127.0.10.2'])).toEqual([0, 7]);
    expect(() =>
      planChanges(seedState(), [
        { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 100 }, weight: 0 },
        { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 100 }, weight: 7 },
      ]),
    ).toThrow(/found 0/);
  });

  it('new addresses take the name\'s TTL; set-ttl with per-address expectations handles mixed legacy TTLs', () => {
    const s = seedState();
    const r = s.get('aurora-test-r') as NameState;
    r.records = [rec(2, '127.0.10.1', 0, 5), rec(3, '127.0.10.2', 100, 86400)];
    const plan = planChanges(s, [
      { op: 'add-address', name: 'aurora-test-r', address: '127.0.10.4', weight: 10 },
      { op: 'set-ttl', name: 'aurora-test-r', expect: { perAddress: { '127.0.10.1': 5, '127.0.10.2': 86400, '127.0.10.4': 5 } }, ttl: 1 },
    ]);
    expect(plan.after.get('aurora-test-r')?.records.map((x) => x.ttl)).toEqual([1, 1, 1]);
    expect(() => planChanges(s, [{ op: 'set-ttl', name: 'aurora-test-r', expect: { perAddress: { '127.0.10.1': 5 } }, ttl: 1 }])).toThrow(/address not expected/);
  });
});

describe('set-role for names that predate dbfleet', () => {
  const legacy = (): Map<string, NameState> =>
    new Map<string, NameState>([
      ['game-w', { name: 'game-w', role: undefined, records: [rec(1, '10.1.0.1', 100)] }],
      ['game-r', { name: 'game-r', role: undefined, records: [rec(2, '10.1.0.2', 100), rec(3, '10.1.0.3', 100)] }],
    ]);
  it('declares a writer and a reader; afterwards the writer invariant protects the writer name', () => {
    const after = planChanges(legacy(), [
      { op: 'set-role', name: 'game-w', expect: { role: null }, role: 'writer' },
      { op: 'set-role', name: 'game-r', expect: { role: null }, role: 'reader' },
    ]).after;
    expect(diffName(legacy().get('game-w') as NameState, after.get('game-w') as NameState).setRole).toBe('writer');
    expect(() => planChanges(after, [{ op: 'add-address', name: 'game-w', address: '10.1.0.9', weight: 100 }])).toThrow(/exactly one/);
  });
  it('refuses to declare a name with two addresses a writer, and a stale expectation', () => {
    expect(() => planChanges(legacy(), [{ op: 'set-role', name: 'game-r', expect: { role: null }, role: 'writer' }])).toThrow(expect.objectContaining({ code: 'DNS_INVARIANT' }));
    expect(() => planChanges(legacy(), [{ op: 'set-role', name: 'game-w', expect: { role: 'reader' }, role: 'writer' }])).toThrow(expect.objectContaining({ code: 'DNS_CONFLICT' }));
  });
});

describe('diffName', () => {
  it('keeps the writer row (same id) and changes only its data', () => {
    const before = seedState().get('aurora-test-w') as NameState;
    const after = planChanges(seedState(), [{ op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.1' }, address: '127.0.10.3' }]).after.get('aurora-test-w') as NameState;
    const d = diffName(before, after);
    expect(d.updates).toEqual([{ id: 1, from: rec(1, '127.0.10.1', 100), to: rec(1, '127.0.10.3', 100) }]);
    expect(d.inserts).toEqual([]);
    expect(d.deletes).toEqual([]);
  });

  it('turns adds and removes into inserts and deletes, and nothing for untouched rows', () => {
    const before = seedState().get('aurora-test-r') as NameState;
    const after = planChanges(seedState(), [
      { op: 'remove-address', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 100 } },
      { op: 'add-address', name: 'aurora-test-r', address: '127.0.10.4', weight: 100 },
    ]).after.get('aurora-test-r') as NameState;
    const d = diffName(before, after);
    expect(d.deletes.map((r) => r.address)).toEqual(['127.0.10.2']);
    expect(d.inserts.map((r) => r.address)).toEqual(['127.0.10.4']);
    expect(d.updates).toEqual([]);
  });
});

describe('cluster registration plan', () => {
  it("is the seed's normal table: writer record -> writer; reader record -> every instance, the writer's entry at 0", () => {
    const plan = planClusterRegistration({ writerName: 'aurora-test-w', readerName: 'aurora-test-r', writer: '127.0.10.1', readers: ['127.0.10.2', '127.0.10.3'] });
    expect(plan).toEqual([
      { op: 'create-name', name: 'aurora-test-w', role: 'writer', ttl: 1, entries: [{ address: '127.0.10.1', weight: 100 }] },
      { op: 'create-name', name: 'aurora-test-r', role: 'reader', ttl: 1, entries: [{ address: '127.0.10.2', weight: 100 }, { address: '127.0.10.3', weight: 100 }, { address: '127.0.10.1', weight: 0 }] },
    ]);
    expect(() => validateChangeSet(plan)).not.toThrow();
    const created = planChanges(new Map(), plan).after;
    expect(matchesRegistration(plan, [...created.values()])).toBe(true);
    expect(matchesRegistration(plan, [...seedState().values()].map((s) => ({ ...s, records: s.records.slice(1) })))).toBe(false);
  });
});
