/**
 * Shared builders for the failover decision tests (not a test file itself). Records are applied
 * with the DNS store's own pure planner (planChanges), so every `expect` of a decision is checked
 * exactly as the store's compare-and-swap will check it, and the writer-name invariant too.
 */
import { planChanges } from '../../src/dns/change-plan.js';
import type { ChangeSet } from '../../src/dns/change-set.js';
import type { AddressRecord, NameState } from '../../src/dns/record-types.js';
import type { ClusterInput, ClusterMemory, ClusterTopology } from '../../src/failover/decide/cluster-input.js';
import type { DecidePolicy } from '../../src/failover/decide/decide-policy.js';
import type { Decision } from '../../src/failover/decide/decision.js';
import { decideCluster } from '../../src/failover/decide/decide-cluster.js';
import { observeRound } from '../../src/failover/decide/health-round.js';
import { newInstanceHealth, type InstanceHealth } from '../../src/failover/decide/instance-health.js';
import type { InstanceRole, ProbeObservation } from '../../src/failover/decide/probe-observation.js';

export const policy: DecidePolicy = { failAfter: 2, recoverAfter: 3, fallbackWeight: 100, readerWeight: 100, writerFlipMinIntervalMs: 3000, unconfirmedWriterMaxHoldMs: 5000 };

/** The seed's cluster: instance-0N at 127.0.10.N. */
export const ADDR = { '01': '127.0.10.1', '02': '127.0.10.2', '03': '127.0.10.3', '04': '127.0.10.4' } as const;
export type Short = keyof typeof ADDR;
export const id = (n: Short): string => `aurora-test-instance-${n}`;
export const topology = (...ns: Short[]): ClusterTopology => ({ name: 'aurora-test', writerName: 'aurora-test-w', readerName: 'aurora-test-r', instances: ns.map((n) => ({ id: id(n), address: ADDR[n] })) });
export const seedTopology = topology('01', '02', '03');

export interface Records {
  writer: NameState;
  reader: NameState;
}

/** records('01', { '01': 0, '02': 100, '03': 100 }): the writer name points at 01. */
export function records(writer: Short, reader: Partial<Record<Short, number>>, inactive: Short[] = []): Records {
  const rec = (n: Short, weight: number): AddressRecord => ({ address: ADDR[n], type: 'A', weight, ttl: 1, active: !inactive.includes(n) });
  return {
    writer: { name: 'aurora-test-w', role: 'writer', records: [rec(writer, 100)] },
    reader: { name: 'aurora-test-r', role: 'reader', records: (Object.entries(reader) as [Short, number][]).map(([n, w]) => rec(n, w)).sort((a, b) => a.address.localeCompare(b.address)) },
  };
}
export const seedNormal = (): Records => records('01', { '01': 0, '02': 100, '03': 100 });

/** Applies a change set the way the store would (throws on a failed compare-and-swap). */
export function applyChanges(r: Records, changes: ChangeSet): Records {
  const after = planChanges(new Map([[r.writer.name, r.writer], [r.reader.name, r.reader]]), changes).after;
  return { writer: after.get(r.writer.name) as NameState, reader: after.get(r.reader.name) as NameState };
}

export const writerOf = (r: Records): string[] => r.writer.records.map((x) => x.address);
export const weightsOf = (r: Records): Record<string, number> => Object.fromEntries(r.reader.records.map((x) => [x.address, x.weight]));

/** A probe spec: 'w' writable, 'r' read-only, 'x' failed, 'nw'/'nr' answered but new connections refused, '-' not probed. */
export type Spec = 'w' | 'r' | 'x' | 'nw' | 'nr' | '-';
export function probe(n: Short, spec: Exclude<Spec, '-'>, at: number, extra: Partial<ProbeObservation> = {}): ProbeObservation {
  const base = { instanceId: id(n), address: ADDR[n], at, latencyMs: 1 };
  const role: InstanceRole = spec === 'w' || spec === 'nw' ? 'writer' : 'reader';
  if (spec === 'x') return { ...base, ok: false, error: 'connect ETIMEDOUT', ...extra };
  if (spec === 'nw' || spec === 'nr') return { ...base, ok: true, role, newConnectionOk: false, ...extra };
  return { ...base, ok: true, role, ...extra };
}

export const upHealth = (role: InstanceRole): InstanceHealth => ({ ...newInstanceHealth(), state: 'up', consecutiveSuccesses: 10, lastRole: role, stateSince: 0 });
export const downHealth = (role?: InstanceRole): InstanceHealth => ({ ...newInstanceHealth(), state: 'down', consecutiveFailures: 10, lastRole: role, stateSince: 0, lastError: 'connect ETIMEDOUT' });

/** A one-shot input: latest probes and health given directly. */
export function input(o: { topology?: ClusterTopology; probes: Partial<Record<Short, Exclude<Spec, '-'>>>; health?: Partial<Record<Short, InstanceHealth>>; records?: Records; memory?: ClusterMemory; now?: number; extra?: Partial<Record<Short, Partial<ProbeObservation>>>; drained?: string[] }): ClusterInput {
  const now = o.now ?? 10_000;
  const observations: Record<string, ProbeObservation> = {};
  for (const [n, spec] of Object.entries(o.probes) as [Short, Exclude<Spec, '-'>][]) observations[id(n)] = probe(n, spec, now, o.extra?.[n]);
  const health: Record<string, InstanceHealth> = {};
  for (const [n, h] of Object.entries(o.health ?? {}) as [Short, InstanceHealth][]) health[id(n)] = h;
  return { cluster: o.topology ?? seedTopology, observations, health, records: o.records ?? seedNormal(), policy, memory: o.memory ?? {}, now, drained: o.drained };
}

/** A checker over time: folds rounds into health, decides, applies what it decided. */
export class Sim {
  health: Record<string, InstanceHealth> = {};
  observations: Record<string, ProbeObservation> = {};
  memory: ClusterMemory = {};
  last: Decision | undefined;
  constructor(
    public records: Records,
    public topology: ClusterTopology = seedTopology,
    public now = 0,
    public readonly p: DecidePolicy = policy,
  ) {}

  inputAt(now: number): ClusterInput {
    return { cluster: this.topology, observations: this.observations, health: this.health, records: this.records, policy: this.p, memory: this.memory, now };
  }

  /** One round ('-' skips an instance), then one decision applied to the records. */
  tick(round: Partial<Record<Short, Spec>>, stepMs = 500, extra: Partial<Record<Short, Partial<ProbeObservation>>> = {}): Decision {
    this.now += stepMs;
    const probes = (Object.entries(round) as [Short, Spec][]).filter(([, s]) => s !== '-').map(([n, s]) => probe(n, s as Exclude<Spec, '-'>, this.now, extra[n]));
    this.health = observeRound(this.health, probes, this.p);
    for (const p of probes) this.observations[p.instanceId] = p;
    const d = decideCluster(this.inputAt(this.now));
    this.records = applyChanges(this.records, d.changeSet);
    this.memory = d.memory;
    this.last = d;
    return d;
  }

  /** The same round n times. */
  ticks(n: number, round: Partial<Record<Short, Spec>>, stepMs = 500): Decision {
    let d: Decision | undefined;
    for (let i = 0; i < n; i++) d = this.tick(round, stepMs);
    return d as Decision;
  }

  /** Decides again on the same inputs (records already applied): must be a no-op. */
  again(): Decision {
    return decideCluster(this.inputAt(this.now));
  }
}
