import { confirmWriter } from './aurora-confirmation.js';
import { instanceAt, type ClusterInput, type ClusterMemory } from './cluster-input.js';
import type { ClusterSituation, NoWriterWhy } from './cluster-situation.js';
import { describeInstance } from './evidence.js';
import { guardFlip } from './flip-guard.js';
import { probeSucceeded, seenWritable, type ProbeObservation } from './probe-observation.js';
import { unmanageableBecause, writerAddress } from './records-check.js';

export interface WriterVerdict {
  situation: ClusterSituation;
  memory: ClusterMemory;
  reasons: string[];
}

/**
 * Observations -> the one situation of the cluster's writer. Pure. The ladder is ordered by
 * safety: nothing is decided on records we cannot manage, on no evidence, or when nobody
 * answers; two writers stop everything writer-related before one is ever chosen.
 */
export function classifyWriter(input: ClusterInput): WriterVerdict {
  const { cluster, observations } = input;
  // A hold exists only while its situation does (status shows memory.hold); the flip history
  // survives every situation, a network blackout included.
  const memory: ClusterMemory = { ...input.memory, hold: undefined };
  const problem = unmanageableBecause(input);
  if (problem !== undefined) return { situation: { kind: 'Misconfigured', problem }, memory, reasons: [problem] };

  const evidence = cluster.instances.map((i) => describeInstance(i, observations[i.id], input.health[i.id]));
  const probes = cluster.instances.map((i) => observations[i.id]).filter((p): p is ProbeObservation => p !== undefined);
  if (probes.length === 0) return { situation: { kind: 'NotProbedYet' }, memory, reasons: ['no instance has been probed yet'] };
  if (!probes.some(probeSucceeded)) {
    return { situation: { kind: 'AllUnreachable', instanceIds: cluster.instances.map((i) => i.id) }, memory, reasons: ['no instance answered its latest probe; no change to this cluster', ...evidence] };
  }

  const current = writerAddress(input);
  const writable = cluster.instances.filter((i) => seenWritable(observations[i.id]));
  if (writable.length >= 2) {
    const ids = writable.map((i) => i.id);
    return { situation: { kind: 'SplitBrain', writer: current, writableIds: ids }, memory, reasons: [`${ids.join(' and ')} are all writable; the writer record stays at ${current}`, ...evidence] };
  }
  const candidate = writable[0];
  if (candidate === undefined) {
    const why = noWriterWhy(input, current);
    return { situation: { kind: 'NoWriter', writer: current, why }, memory, reasons: [`no instance is writable (${why}); the writer record stays at ${current}`, ...evidence] };
  }
  if (candidate.address === current) return { situation: { kind: 'Healthy', writer: current }, memory, reasons: [] };
  const seen = observations[candidate.id] as ProbeObservation;
  if (!probeSucceeded(seen)) {
    const why: NoWriterWhy = 'candidate-refuses-new-connections';
    return { situation: { kind: 'NoWriter', writer: current, why }, memory, reasons: [`${candidate.id} is writable but refuses new connections; clients could not follow the record`, ...evidence] };
  }

  const outcome = guardFlip({ memory: input.memory, from: current, to: candidate.address, toId: candidate.id, now: input.now, policy: input.policy, confirmation: confirmWriter(candidate.id, probes) });
  const head = `${candidate.id} (${candidate.address}) is the only writable instance; the writer record points at ${current}`;
  return { situation: outcome.situation, memory: outcome.memory, reasons: [head, ...(outcome.memory.hold ? [outcome.memory.hold.reason] : []), ...evidence] };
}

function noWriterWhy(input: ClusterInput, current: string): NoWriterWhy {
  const at = instanceAt(input.cluster, current);
  if (at === undefined) return 'writer-outside-topology';
  const p = input.observations[at.id];
  return p !== undefined && probeSucceeded(p) ? 'writer-read-only' : 'writer-unreachable';
}
