import { describe, expect, it } from 'vitest';
import { describeChangeSet } from '../../src/dns/change-set.js';
import { ADDR, Sim, id, seedNormal, weightsOf, writerOf, type Short, type Spec } from './failover-fixtures.js';

/**
 * The seed's four tables (001, "Auroraの高速フェイルオーバー"): name, instance, innodb_read_only,
 * weight, through a failover from instance-01 to instance-03. innodb_read_only is the role the
 * checker last saw (0 writable, 1 read-only).
 */
type Row = [name: string, instance: string, innodbReadOnly: 0 | 1, weight: number];

interface Stage {
  table: string;
  /** Probe rounds (500 ms apart) that lead from the previous table to this one. */
  rounds: Partial<Record<Short, Spec>>[];
  rows: Row[];
  /** The change set of the round that produced this table. */
  changes: string[];
}

const W = 'aurora-test-w';
const R = 'aurora-test-r';
const normal = { '01': 'w', '02': 'r', '03': 'r' } as const;

const stages: Stage[] = [
  {
    table: '通常時 (normal)',
    rounds: [normal, normal, normal],
    rows: [[W, id('01'), 0, 100], [R, id('02'), 1, 100], [R, id('03'), 1, 100], [R, id('01'), 0, 0]],
    changes: [],
  },
  {
    // fail_after (2) failed probes of the candidate; the old writer still answers writable
    table: 'failover時のWriter候補再起動時 (candidate restarting)',
    rounds: [{ '01': 'w', '02': 'r', '03': 'x' }, { '01': 'w', '02': 'r', '03': 'x' }],
    rows: [[W, id('01'), 0, 100], [R, id('02'), 1, 100], [R, id('03'), 1, 0], [R, id('01'), 0, 0]],
    changes: ['set weight aurora-test-r 127.0.10.3: 100 -> 0'],
  },
  {
    // the old writer goes down, the candidate comes up writable (taken on its first such probe),
    // then the old writer answers read-only once: not yet recover_after (3) good probes
    table: 'Writer切り替え後 (after the switch)',
    rounds: [{ '01': 'x', '02': 'r', '03': 'x' }, { '01': 'x', '02': 'r', '03': 'w' }, { '01': 'r', '02': 'r', '03': 'w' }],
    rows: [[W, id('03'), 0, 100], [R, id('02'), 1, 100], [R, id('03'), 0, 0], [R, id('01'), 1, 0]],
    changes: [],
  },
  {
    table: '旧Writer復帰時 (old writer back)',
    rounds: [{ '01': 'r', '02': 'r', '03': 'w' }, { '01': 'r', '02': 'r', '03': 'w' }],
    rows: [[W, id('03'), 0, 100], [R, id('02'), 1, 100], [R, id('03'), 0, 0], [R, id('01'), 1, 100]],
    changes: ['set weight aurora-test-r 127.0.10.1: 0 -> 100'],
  },
];

/** The seed's table from the records and what the checker saw. */
function table(sim: Sim): Row[] {
  const instanceOf = (address: string): string => id((Object.entries(ADDR).find(([, a]) => a === address)?.[0] ?? '??') as Short);
  const readOnly = (address: string): 0 | 1 => (sim.health[instanceOf(address)]?.lastRole === 'writer' ? 0 : 1);
  const rows: Row[] = [
    ...sim.records.writer.records.map((r): Row => [W, instanceOf(r.address), readOnly(r.address), r.weight]),
    ...sim.records.reader.records.map((r): Row => [R, instanceOf(r.address), readOnly(r.address), r.weight]),
  ];
  return rows.sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
}

function replay(upTo: number): Sim {
  const sim = new Sim(seedNormal());
  for (const stage of stages.slice(0, upTo + 1)) for (const round of stage.rounds) sim.tick(round);
  return sim;
}

describe("the seed's four tables through a failover", () => {
  it.each(stages.map((s, i) => [s.table, i] as const))('%s', (_table, i) => {
    const stage = stages[i] as Stage;
    const sim = replay(i);
    expect(table(sim)).toEqual([...stage.rows].sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1])));
    expect(describeChangeSet(sim.last?.changeSet ?? [])).toEqual(stage.changes);
    expect(sim.again().changeSet).toEqual([]);
  });

  it('the switch happens on the first probe that sees the candidate writable, in one change set', () => {
    const sim = replay(1);
    sim.tick({ '01': 'x', '02': 'r', '03': 'x' });
    expect(sim.last?.situation.kind).toBe('NoWriter');
    const d = sim.tick({ '01': 'x', '02': 'r', '03': 'w' });
    expect(d.situation.kind).toBe('WriterMoved');
    expect(describeChangeSet(d.changeSet)).toEqual(['replace writer aurora-test-w: 127.0.10.1 -> 127.0.10.3']);
    expect(writerOf(sim.records)).toEqual([ADDR['03']]);
    expect(weightsOf(sim.records)).toEqual({ [ADDR['01']]: 0, [ADDR['02']]: 100, [ADDR['03']]: 0 });
  });

  it('the old writer needs recover_after good read-only probes before it takes reads', () => {
    const sim = replay(2);
    sim.tick({ '01': 'r', '02': 'r', '03': 'w' });
    expect(weightsOf(sim.records)[ADDR['01']]).toBe(0);
    sim.tick({ '01': 'r', '02': 'r', '03': 'w' });
    expect(weightsOf(sim.records)[ADDR['01']]).toBe(100);
  });
});
