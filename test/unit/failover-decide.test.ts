import { describe, expect, it } from 'vitest';
import { describeChangeSet } from '../../src/dns/change-set.js';
import type { ClusterInput } from '../../src/failover/decide/cluster-input.js';
import { decideCluster } from '../../src/failover/decide/decide-cluster.js';
import { newInstanceHealth } from '../../src/failover/decide/instance-health.js';
import { ADDR, applyChanges, downHealth, id, input, records, topology, upHealth, type Records } from './failover-fixtures.js';

const allUp = { '01': upHealth('writer'), '02': upHealth('reader'), '03': upHealth('reader') } as const;

interface Case {
  why: string;
  input: ClusterInput;
  situation: string;
  changes: string[];
  alerts?: string[];
  readers?: string;
}

/** Every rule and safety rule, one row each. Writer is instance-01 unless the row says otherwise. */
const cases: Case[] = [
  { why: 'healthy: nothing to do', input: input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: allUp }), situation: 'Healthy', changes: [], readers: 'AllReadersServing' },
  {
    why: 'the writer moved: replace-writer at once (no recover_after wait), the new writer leaves the reader pool',
    input: input({ probes: { '01': 'x', '02': 'r', '03': 'w' }, health: { '01': downHealth('writer'), '02': upHealth('reader'), '03': downHealth('reader') } }),
    situation: 'WriterMoved',
    changes: ['replace writer aurora-test-w: 127.0.10.1 -> 127.0.10.3', 'set weight aurora-test-r 127.0.10.3: 100 -> 0'],
    alerts: ['writer-moved', 'readers-out'],
  },
  {
    why: 'the writer moved while the old one is already back read-only and healthy: it becomes a reader in the same change set',
    input: input({ probes: { '01': 'r', '02': 'r', '03': 'w' }, health: { ...allUp, '01': upHealth('reader') } }),
    situation: 'WriterMoved',
    changes: ['replace writer aurora-test-w: 127.0.10.1 -> 127.0.10.3', 'set weight aurora-test-r 127.0.10.1: 0 -> 100', 'set weight aurora-test-r 127.0.10.3: 100 -> 0'],
    alerts: ['writer-moved'],
  },
  {
    why: 'an old writer still failing after the flip is not a reader yet',
    input: input({ probes: { '01': 'x', '02': 'r', '03': 'w' }, health: { ...allUp, '01': upHealth('writer') } }),
    situation: 'WriterMoved',
    changes: ['replace writer aurora-test-w: 127.0.10.1 -> 127.0.10.3', 'set weight aurora-test-r 127.0.10.3: 100 -> 0'],
    alerts: ['writer-moved', 'readers-out'],
  },
  { why: 'a reader failing fail_after-1 times: no change', input: input({ probes: { '01': 'w', '02': 'x', '03': 'r' }, health: allUp }), situation: 'Healthy', changes: [] },
  {
    why: 'a reader down after fail_after failures is drained',
    input: input({ probes: { '01': 'w', '02': 'x', '03': 'r' }, health: { ...allUp, '02': downHealth('reader') } }),
    situation: 'Healthy',
    changes: ['set weight aurora-test-r 127.0.10.2: 100 -> 0'],
    alerts: ['readers-out'],
    readers: 'ReadersDegraded',
  },
  {
    why: 'a reader refusing new connections (conntrack) is drained like a dead one',
    input: input({ probes: { '01': 'w', '02': 'nr', '03': 'r' }, health: { ...allUp, '02': downHealth('reader') } }),
    situation: 'Healthy',
    changes: ['set weight aurora-test-r 127.0.10.2: 100 -> 0'],
    alerts: ['readers-out'],
  },
  { why: 'a drained reader still recovering (recover_after-1): stays at 0', input: input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: { ...allUp, '02': downHealth('reader') }, records: records('01', { '01': 0, '02': 0, '03': 100 }) }), situation: 'Healthy', changes: [], alerts: ['readers-out'] },
  { why: 'a recovered reader gets reader_weight back', input: input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: allUp, records: records('01', { '01': 0, '02': 0, '03': 100 }) }), situation: 'Healthy', changes: ['set weight aurora-test-r 127.0.10.2: 0 -> 100'] },
  {
    why: 'no reader healthy: the writer entry goes to fallback_weight',
    input: input({ probes: { '01': 'w', '02': 'x', '03': 'x' }, health: { ...allUp, '02': downHealth('reader'), '03': downHealth('reader') } }),
    situation: 'Healthy',
    changes: ['set weight aurora-test-r 127.0.10.1: 0 -> 100', 'set weight aurora-test-r 127.0.10.2: 100 -> 0', 'set weight aurora-test-r 127.0.10.3: 100 -> 0'],
    alerts: ['no-reader'],
    readers: 'NoReaderServing',
  },
  {
    why: 'a reader recovers: the writer entry goes back to 0',
    input: input({ probes: { '01': 'w', '02': 'r', '03': 'x' }, health: { ...allUp, '03': downHealth('reader') }, records: records('01', { '01': 100, '02': 0, '03': 0 }) }),
    situation: 'Healthy',
    changes: ['set weight aurora-test-r 127.0.10.1: 100 -> 0', 'set weight aurora-test-r 127.0.10.2: 0 -> 100'],
    alerts: ['readers-out'],
  },
  { why: 'a restarted checker (every instance joining) drains nothing', input: input({ probes: { '01': 'w', '02': 'r', '03': 'r' } }), situation: 'Healthy', changes: [] },
  {
    why: 'a new instance in the topology joins the reader record at weight 0',
    input: input({ topology: topology('01', '02', '03', '04'), probes: { '01': 'w', '02': 'r', '03': 'r', '04': 'r' }, health: allUp }),
    situation: 'Healthy',
    changes: ['add aurora-test-r 127.0.10.4 weight=0'],
    alerts: ['readers-out'],
  },
  { why: 'a new instance already up is added at reader_weight', input: input({ topology: topology('01', '02', '03', '04'), probes: { '01': 'w', '02': 'r', '03': 'r', '04': 'r' }, health: { ...allUp, '04': upHealth('reader') } }), situation: 'Healthy', changes: ['add aurora-test-r 127.0.10.4 weight=100'] },
  { why: 'a joined instance confirmed up gets reader_weight', input: input({ topology: topology('01', '02', '03', '04'), probes: { '01': 'w', '02': 'r', '03': 'r', '04': 'r' }, health: { ...allUp, '04': upHealth('reader') }, records: records('01', { '01': 0, '02': 100, '03': 100, '04': 0 }) }), situation: 'Healthy', changes: ['set weight aurora-test-r 127.0.10.4: 0 -> 100'] },
  { why: 'an instance gone from the topology leaves the reader record', input: input({ topology: topology('01', '02'), probes: { '01': 'w', '02': 'r' }, health: allUp }), situation: 'Healthy', changes: ['remove aurora-test-r 127.0.10.3 (weight 100)'] },
  { why: 'the writer address is never removed, even outside the topology', input: input({ topology: topology('02', '03'), probes: { '02': 'r', '03': 'r' }, health: allUp }), situation: 'NoWriter', changes: [], alerts: ['no-writer'] },
  {
    why: 'a writer outside the topology is replaced, then removed from the reader pool',
    input: input({ topology: topology('02', '03'), probes: { '02': 'r', '03': 'w' }, health: allUp }),
    situation: 'WriterMoved',
    changes: ['replace writer aurora-test-w: 127.0.10.1 -> 127.0.10.3', 'set weight aurora-test-r 127.0.10.3: 100 -> 0', 'remove aurora-test-r 127.0.10.1 (weight 0)'],
    alerts: ['writer-moved'],
  },
  { why: 'an operator-drained reader is not restored', input: input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: allUp, records: records('01', { '01': 0, '02': 0, '03': 100 }), drained: [ADDR['02']] }), situation: 'Healthy', changes: [], alerts: ['readers-out'] },
  { why: 'an inactive row (operator-owned) is never touched', input: input({ probes: { '01': 'w', '02': 'x', '03': 'r' }, health: { ...allUp, '02': downHealth('reader') }, records: records('01', { '01': 0, '02': 100, '03': 100 }, ['02']) }), situation: 'Healthy', changes: [], alerts: ['readers-out'] },
  { why: 'a writer-only cluster: the writer takes reads', input: input({ topology: topology('01'), probes: { '01': 'w' }, health: allUp, records: records('01', { '01': 0 }) }), situation: 'Healthy', changes: ['set weight aurora-test-r 127.0.10.1: 0 -> 100'], readers: 'WriterOnly' },
  // safety
  {
    why: 'split brain: no writer change, critical alert, the second writable entry left alone',
    input: input({ probes: { '01': 'w', '02': 'r', '03': 'w' }, health: allUp }),
    situation: 'SplitBrain',
    changes: [],
    alerts: ['split-brain'],
  },
  { why: 'split brain even when one of them refuses new connections', input: input({ probes: { '01': 'x', '02': 'w', '03': 'nw' }, health: allUp }), situation: 'SplitBrain', changes: [], alerts: ['split-brain'] },
  { why: 'all unreachable: no change at all, even to readers long down', input: input({ probes: { '01': 'x', '02': 'x', '03': 'x' }, health: { '01': downHealth('writer'), '02': downHealth('reader'), '03': downHealth('reader') } }), situation: 'AllUnreachable', changes: [], alerts: ['all-unreachable'] },
  { why: 'all refusing new connections counts as unreachable', input: input({ probes: { '01': 'nw', '02': 'nr', '03': 'nr' }, health: { '02': downHealth('reader') } }), situation: 'AllUnreachable', changes: [], alerts: ['all-unreachable'] },
  { why: 'nothing probed yet: nothing decided', input: input({ probes: {} }), situation: 'NotProbedYet', changes: [] },
  { why: 'no writer (failover in progress): the writer record stays', input: input({ probes: { '01': 'x', '02': 'r', '03': 'r' }, health: allUp }), situation: 'NoWriter', changes: [], alerts: ['no-writer'] },
  { why: 'no writer, all read-only: never moved to a read-only instance', input: input({ probes: { '01': 'r', '02': 'r', '03': 'r' }, health: allUp }), situation: 'NoWriter', changes: [], alerts: ['no-writer'] },
  { why: 'the only writable instance refuses new connections: not taken', input: input({ probes: { '01': 'x', '02': 'r', '03': 'nw' }, health: allUp }), situation: 'NoWriter', changes: [], alerts: ['no-writer'] },
  { why: 'writer name not registered', input: input({ probes: { '01': 'w' }, records: { ...records('01', { '01': 0 }), writer: { name: 'aurora-test-w', role: undefined, records: [] } } }), situation: 'Misconfigured', changes: [], alerts: ['cluster-unmanageable'] },
  { why: 'reader name not registered', input: input({ probes: { '01': 'w' }, records: { ...records('01', {}), reader: { name: 'aurora-test-r', role: undefined, records: [] } } }), situation: 'Misconfigured', changes: [], alerts: ['cluster-unmanageable'] },
  { why: 'empty topology (a discovery hiccup) removes nothing', input: input({ topology: topology(), probes: {} }), situation: 'Misconfigured', changes: [], alerts: ['cluster-unmanageable'] },
  { why: 'two instances on one address', input: input({ topology: { ...topology('01', '02'), instances: [{ id: 'a', address: ADDR['01'] }, { id: 'b', address: ADDR['01'] }] }, probes: {} }), situation: 'Misconfigured', changes: [], alerts: ['cluster-unmanageable'] },
];

describe('decideCluster: rules and safety rules', () => {
  it.each(cases)('$why', (c) => {
    const d = decideCluster(c.input);
    expect(d.situation.kind).toBe(c.situation);
    expect(describeChangeSet(d.changeSet)).toEqual(c.changes);
    expect(d.alerts.map((a) => a.code)).toEqual(c.alerts ?? []);
    if (c.readers) expect(d.readers?.kind).toBe(c.readers);
    expect(d.reasons.length > 0 || d.changeSet.length === 0).toBe(true);
  });

  it.each(cases)('idempotent: $why', (c) => {
    const d = decideCluster(c.input);
    const after: Records = applyChanges(c.input.records, d.changeSet);
    expect(decideCluster({ ...c.input, records: after, memory: d.memory }).changeSet).toEqual([]);
  });

  it('a no-op tick returns an empty change set and no reasons', () => {
    const d = decideCluster(input({ probes: { '01': 'w', '02': 'r', '03': 'r' }, health: allUp }));
    expect(d).toMatchObject({ changeSet: [], alerts: [], reasons: [], hold: undefined });
  });

  it('expects exactly what was read (compare-and-swap) and puts replace-writer first', () => {
    const i = input({ probes: { '01': 'x', '02': 'x', '03': 'w' }, health: { '01': downHealth('writer'), '02': downHealth('reader'), '03': upHealth('reader') } });
    const d = decideCluster(i);
    expect(d.changeSet[0]).toEqual({ op: 'replace-writer', name: 'aurora-test-w', expect: { address: ADDR['01'] }, address: ADDR['03'] });
    // the new writer takes reads at fallback weight: no reader is healthy
    expect(describeChangeSet(d.changeSet.slice(1))).toEqual(['set weight aurora-test-r 127.0.10.2: 100 -> 0']);
    expect(d.readers?.kind).toBe('NoReaderServing');
    expect(() => applyChanges(records('01', { '01': 0, '02': 50, '03': 100 }), d.changeSet)).toThrow(/expected weight 100 for 127.0.10.2, found 50/);
  });

  it('all unreachable keeps the flip history; a hold exists only while its situation does', () => {
    const lastFlip = { at: 9000, from: ADDR['02'], to: ADDR['01'] };
    const hold = { kind: 'flip-rate-limit' as const, to: ADDR['03'], since: 9500, until: 12_000, reason: 'r' };
    const d = decideCluster(input({ probes: { '01': 'x', '02': 'x', '03': 'x' }, memory: { lastFlip, hold } }));
    expect(d.memory).toEqual({ lastFlip, hold: undefined });
    expect(d.hold).toBeUndefined();
    expect(d.readers).toBeUndefined();
  });

  it('reasons carry the evidence per instance', () => {
    const d = decideCluster(input({ probes: { '01': 'x', '02': 'r', '03': 'w' }, health: { '01': downHealth('writer'), '02': upHealth('reader'), '03': newInstanceHealth() } }));
    expect(d.reasons.join('\n')).toContain(`${id('03')} (${ADDR['03']}) is the only writable instance; the writer record points at ${ADDR['01']}`);
    expect(d.reasons.join('\n')).toContain(`${id('01')} (${ADDR['01']}): failed at 10000: connect ETIMEDOUT, down`);
  });
});
