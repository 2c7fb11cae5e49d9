import type { ClusterMemory, WriterHold } from './cluster-input.js';
import type { ClusterSituation } from './cluster-situation.js';
import type { DecidePolicy } from './decide-policy.js';
import type { WriterConfirmation } from './aurora-confirmation.js';

export interface FlipRequest {
  memory: ClusterMemory;
  from: string;
  to: string;
  toId: string;
  now: number;
  policy: Pick<DecidePolicy, 'writerFlipMinIntervalMs' | 'unconfirmedWriterMaxHoldMs'>;
  confirmation: WriterConfirmation;
}

type FlipSituation = Extract<ClusterSituation, { kind: 'WriterMoved' | 'WriterFlipHeld' | 'UnconfirmedWriter' }>;

export interface FlipOutcome {
  situation: FlipSituation;
  memory: ClusterMemory;
}

/**
 * Decides whether a due writer flip happens now or is held, VTOrc style: the flip is recorded
 * (memory.lastFlip) when decided, and a different flip inside the window is refused until the
 * window ends. Re-issuing the flip to the same target is not a second flip: it is the retry of one
 * whose write did not land (the DNS database was down), and must not wait. Holds carry `since` so
 * that they expire on their own and show in status for how long they have been in force.
 */
export function guardFlip(r: FlipRequest): FlipOutcome {
  const { memory, from, to, toId, now, policy, confirmation } = r;
  const holdSince = (kind: WriterHold['kind']): number => (memory.hold?.kind === kind && memory.hold.to === to ? memory.hold.since : now);

  let note: 'confirmed' | 'no-evidence' | 'hold-expired' = confirmation.reporters.length === 0 ? 'no-evidence' : 'confirmed';
  if (!confirmation.confirmed) {
    const since = holdSince('unconfirmed-writer');
    const until = since + policy.unconfirmedWriterMaxHoldMs;
    if (now < until) {
      const reason = `${toId} is writable but replica_host_status on ${confirmation.reporters.join(', ')} names ${confirmation.namedByOthers.join(', ')} as the writer`;
      return {
        situation: { kind: 'UnconfirmedWriter', from, to, toId, namedByOthers: confirmation.namedByOthers, until },
        memory: { ...memory, hold: { kind: 'unconfirmed-writer', to, since, until, reason } },
      };
    }
    note = 'hold-expired';
  }

  const last = memory.lastFlip;
  if (last !== undefined && last.to !== to && now - last.at < policy.writerFlipMinIntervalMs) {
    const until = last.at + policy.writerFlipMinIntervalMs;
    const reason = `the writer moved ${last.from} -> ${last.to} ${now - last.at} ms ago; flips are at least ${policy.writerFlipMinIntervalMs} ms apart`;
    return {
      situation: { kind: 'WriterFlipHeld', from, to, toId, until },
      memory: { ...memory, hold: { kind: 'flip-rate-limit', to, since: holdSince('flip-rate-limit'), until, reason } },
    };
  }
  return {
    situation: { kind: 'WriterMoved', from, to, toId, confirmation: note },
    memory: { lastFlip: { at: now, from, to }, hold: undefined },
  };
}
