import type { RecordOp } from '../../dns/change-set.js';
import { classifyWriter } from './classify-writer.js';
import type { ClusterInput } from './cluster-input.js';
import type { ClusterSituation, ReaderSituation } from './cluster-situation.js';
import type { Alert, Decision } from './decision.js';
import { planReaderRecord } from './reader-plan.js';

/** What a situation asks for: leave the cluster alone, or manage it around a writer address. */
type Action = { kind: 'leave-alone'; alerts: Alert[] } | { kind: 'manage'; writer: string; replace?: RecordOp; alerts: Alert[] };

/**
 * One tick for one cluster: observations, health, records, memory -> situation, change set,
 * alerts, reasons, hold and the memory to keep. Pure, no I/O, time comes in as `now`.
 */
export function decideCluster(input: ClusterInput): Decision {
  const verdict = classifyWriter(input);
  const action = actionFor(verdict.situation, input);
  const hold = verdict.memory.hold ? { until: verdict.memory.hold.until, reason: verdict.memory.hold.reason } : undefined;
  const base = { cluster: input.cluster.name, situation: verdict.situation, memory: verdict.memory, hold };
  if (action.kind === 'leave-alone') return { ...base, changeSet: [], alerts: action.alerts, reasons: verdict.reasons };

  const plan = planReaderRecord({ ...input, reader: input.records.reader, writer: action.writer });
  return {
    ...base,
    readers: plan.situation,
    changeSet: [...(action.replace ? [action.replace] : []), ...plan.ops],
    alerts: [...action.alerts, ...readerAlerts(plan.situation)],
    reasons: [...verdict.reasons, ...plan.reasons],
  };
}

/** The one exhaustive switch from a writer situation to its action. */
function actionFor(s: ClusterSituation, input: ClusterInput): Action {
  const writerName = input.cluster.writerName;
  switch (s.kind) {
    case 'Misconfigured':
      return { kind: 'leave-alone', alerts: [{ severity: 'error', code: 'cluster-unmanageable', message: s.problem }] };
    case 'NotProbedYet':
      return { kind: 'leave-alone', alerts: [] };
    case 'AllUnreachable':
      return {
        kind: 'leave-alone',
        alerts: [{ severity: 'error', code: 'all-unreachable', message: `no instance of ${input.cluster.name} answered (${s.instanceIds.join(', ')}); check the checker's own network; no change made` }],
      };
    case 'Healthy':
      return { kind: 'manage', writer: s.writer, alerts: [] };
    case 'WriterMoved': {
      const replace: RecordOp = { op: 'replace-writer', name: writerName, expect: { address: s.from }, address: s.to };
      const alerts: Alert[] = [{ severity: 'info', code: 'writer-moved', message: `${writerName}: ${s.from} -> ${s.to} (${s.toId})` }];
      if (s.confirmation === 'hold-expired') {
        alerts.push({ severity: 'warning', code: 'writer-unconfirmed-taken', message: `${s.toId} taken as writer although replica_host_status never confirmed it` });
      }
      return { kind: 'manage', writer: s.to, replace, alerts };
    }
    case 'WriterFlipHeld':
      return { kind: 'manage', writer: s.from, alerts: [{ severity: 'warning', code: 'writer-flip-held', message: `${writerName} -> ${s.to} (${s.toId}) held until ${s.until} (anti-flapping)` }] };
    case 'UnconfirmedWriter':
      return {
        kind: 'manage',
        writer: s.from,
        alerts: [{ severity: 'warning', code: 'writer-unconfirmed', message: `${s.toId} is writable but the other instances name ${s.namedByOthers.join(', ')}; held until ${s.until}` }],
      };
    case 'NoWriter':
      return { kind: 'manage', writer: s.writer, alerts: [{ severity: 'warning', code: 'no-writer', message: `no usable writable instance (${s.why}); ${writerName} stays at ${s.writer}` }] };
    case 'SplitBrain':
      return {
        kind: 'manage',
        writer: s.writer,
        alerts: [{ severity: 'critical', code: 'split-brain', message: `${s.writableIds.join(' and ')} are all writable; ${writerName} left as it is; fence one of them now` }],
      };
    default: {
      const never: never = s;
      throw new Error(`unhandled situation ${JSON.stringify(never)}`);
    }
  }
}

function readerAlerts(r: ReaderSituation): Alert[] {
  switch (r.kind) {
    case 'AllReadersServing':
    case 'WriterOnly':
      return [];
    case 'ReadersDegraded':
      return [{ severity: 'warning', code: 'readers-out', message: `${r.outIds.join(', ')} out of the reader pool; ${r.serving} serving` }];
    case 'NoReaderServing':
      return [{ severity: 'error', code: 'no-reader', message: `no reader serves (${r.outIds.join(', ')} out); reads go to the writer` }];
    default: {
      const never: never = r;
      throw new Error(`unhandled reader situation ${JSON.stringify(never)}`);
    }
  }
}
