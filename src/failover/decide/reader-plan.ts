import type { RecordOp } from '../../dns/change-set.js';
import type { AddressRecord, NameState } from '../../dns/record-types.js';
import type { ClusterTopology, InstanceRef } from './cluster-input.js';
import type { ReaderSituation } from './cluster-situation.js';
import type { DecidePolicy } from './decide-policy.js';
import type { HealthById } from './health-round.js';
import { newInstanceHealth } from './instance-health.js';
import { seenWritable, type ProbeObservation } from './probe-observation.js';

export interface ReaderPlanInput {
  cluster: ClusterTopology;
  reader: NameState;
  /** The writer record's address once this tick's decision is applied. */
  writer: string;
  observations: Readonly<Record<string, ProbeObservation | undefined>>;
  health: HealthById;
  policy: Pick<DecidePolicy, 'readerWeight' | 'fallbackWeight'>;
  drained?: readonly string[] | undefined;
}

export interface ReaderPlan {
  /** set-weight (by address), then add-address, then remove-address. Empty when nothing differs. */
  ops: RecordOp[];
  situation: ReaderSituation;
  reasons: string[];
}

interface Want {
  weight: number;
  why: string;
}

/**
 * The reader record as health says it should be, as the minimal list of operations from what it
 * is. Level-based (converges to the desired weights every tick, emits nothing when they already
 * hold) rather than edge-based, so a lost write or a restarted checker heals on the next tick.
 * Inactive rows (active='N') belong to an operator and are never touched.
 */
export function planReaderRecord(a: ReaderPlanInput): ReaderPlan {
  const records = new Map(a.reader.records.map((r) => [r.address, r]));
  const drained = new Set(a.drained ?? []);
  const sets: RecordOp[] = [];
  const adds: RecordOp[] = [];
  const reasons: string[] = [];
  const move = (who: string, address: string, rec: AddressRecord | undefined, want: Want): void => {
    if (rec === undefined) {
      adds.push({ op: 'add-address', name: a.reader.name, address, weight: want.weight });
      reasons.push(`${who}: add to ${a.reader.name} at weight ${want.weight} (${want.why})`);
    } else if (rec.weight !== want.weight) {
      sets.push({ op: 'set-weight', name: a.reader.name, address, expect: { weight: rec.weight }, weight: want.weight });
      reasons.push(`${who}: weight ${rec.weight} -> ${want.weight} (${want.why})`);
    }
  };

  let serving = 0;
  const outIds: string[] = [];
  const others = a.cluster.instances.filter((i) => i.address !== a.writer);
  for (const i of others) {
    const rec = records.get(i.address);
    if (rec !== undefined && !rec.active) {
      outIds.push(i.id);
      continue;
    }
    const want = drained.has(i.address) ? { weight: 0, why: 'drained by an operator' } : readerWant(i, rec, a);
    move(i.id, i.address, rec, want);
    if (want.weight > 0) serving += 1;
    else outIds.push(i.id);
  }

  const writerRec = records.get(a.writer);
  const writerInTopology = others.length < a.cluster.instances.length;
  if ((writerRec !== undefined || writerInTopology) && writerRec?.active !== false) {
    const want: Want = drained.has(a.writer)
      ? { weight: 0, why: 'the writer, drained by an operator' }
      : serving === 0
        ? { weight: a.policy.fallbackWeight, why: 'the writer takes reads while no reader serves' }
        : { weight: 0, why: 'the writer; reads go to the readers' };
    move(`writer ${a.writer}`, a.writer, writerRec, want);
  }

  const inTopology = new Set(a.cluster.instances.map((i) => i.address));
  const removes: RecordOp[] = [];
  for (const r of a.reader.records) {
    // Never the writer's address: the writer record points there, the pool may need it as fallback.
    if (inTopology.has(r.address) || r.address === a.writer || !r.active) continue;
    removes.push({ op: 'remove-address', name: a.reader.name, address: r.address, expect: { weight: r.weight } });
    reasons.push(`${r.address}: remove from ${a.reader.name} (no longer in the topology)`);
  }

  const byAddress = (x: RecordOp, y: RecordOp): number => addressOf(x).localeCompare(addressOf(y));
  const situation: ReaderSituation =
    others.length === 0 ? { kind: 'WriterOnly' } : serving === 0 ? { kind: 'NoReaderServing', outIds } : outIds.length > 0 ? { kind: 'ReadersDegraded', serving, outIds } : { kind: 'AllReadersServing', serving };
  return { ops: [...sets.sort(byAddress), ...adds.sort(byAddress), ...removes.sort(byAddress)], situation, reasons };
}

/** The weight of a non-writer instance, from its health (hysteresis lives in InstanceHealth). */
function readerWant(i: InstanceRef, rec: AddressRecord | undefined, a: ReaderPlanInput): Want {
  if (seenWritable(a.observations[i.id])) {
    // Split brain, or a new writer whose flip is held: neither a reader nor (yet) the writer.
    return { weight: rec?.weight ?? 0, why: 'writable but not the writer record: left as it is' };
  }
  const h = a.health[i.id] ?? newInstanceHealth();
  switch (h.state) {
    case 'up':
      // An old writer serves reads only once it has come back read-only.
      return h.lastRole === 'reader' ? { weight: a.policy.readerWeight, why: 'up and read-only' } : { weight: 0, why: 'up but last seen writable' };
    case 'joining':
      // A restarted checker must not drain a healthy pool; a new address starts at 0.
      return { weight: rec?.weight ?? 0, why: 'joining: not confirmed up yet' };
    case 'down':
      return { weight: 0, why: `down${h.lastError ? `: ${h.lastError}` : ''}` };
    default: {
      const never: never = h.state;
      throw new Error(`unknown health state ${String(never)}`);
    }
  }
}

function addressOf(op: RecordOp): string {
  return 'address' in op ? op.address : '';
}
