import type { Phase } from '../../core/phases/phase-runner.js';
import { onlineSwitchover, type SwitchoverRequest } from '../switchover/online-switchover.js';
import { recoverInterruptedSwitchover } from '../switchover/recover-switchover.js';
import { addressOf, knownAddress, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';

/** The online switchover's request for a move: the new master is the candidate; every other copy, new or old, follows it. */
export function moveSwitchoverRequest(move: ApplyMove, state: Readonly<ApplyState>, s: ApplySettings): SwitchoverRequest {
  const [first, ...rest] = move.targets;
  if (!first) throw new Error(`move ${move.shard} has no targets`);
  const member = (t: typeof first): { id: string; host: string; port: number } => ({ id: `${t.host.name}/${move.shard}`, host: addressOf(state, move, t), port: t.port });
  return {
    shard: move.shard,
    writerName: move.cluster.writer_record,
    readerName: move.cluster.reader_record,
    zone: s.zone,
    master: move.master,
    candidate: member(first),
    replicas: [...rest.map(member), ...move.replicas],
    admin: s.admin,
    repl: s.repl,
    appUsers: s.appUsers,
    maxLagSeconds: s.maxLagSeconds,
    longTransactionSeconds: s.longTransactionSeconds,
    catchUpTimeoutMs: s.switchCatchUpTimeoutMs,
    blockWritesTimeoutSeconds: s.blockWritesTimeoutSeconds,
    longStatementSeconds: s.longStatementSeconds,
    readerWeight: s.readerWeight,
  };
}

/**
 * Switch over: the online master switch onto the new master (every refusal of `shard switchover`
 * applies). On a resume after a crash inside this phase, the servers are read first: a finished
 * promotion is completed, a write block the dead run left is lifted, then the switch runs.
 * `interrupted` (from the journal) says this phase started before and never ended.
 */
export function switchoverPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings, interrupted: boolean): Phase<ApplyState> {
  const t = move.targets[0];
  return {
    name: `${move.shard}/switchover`,
    describe: (state) =>
      `online switchover of ${move.shard}: block writes on ${move.master.id} (${move.master.host}), wait for ${t?.host.name ?? '?'} (${t ? (knownAddress(state, move, t) ?? '?') : '?'}) to apply the last write, promote it, point ${move.cluster.writer_record} at it, re-point ${move.targets.length - 1 + move.replicas.length} replicas, make ${move.master.id} follow it`,
    run: async (state) => {
      const req = moveSwitchoverRequest(move, state, s);
      const sw = { connect: deps.connect, openDns: deps.openDns, logger: deps.logger, actor: deps.actor, ...(deps.failpoint ? { failpoint: deps.failpoint } : {}) };
      const recovered = await recoverInterruptedSwitchover(req, sw, interrupted);
      if (recovered === 'completed') return { [`${move.shard}:switchover`]: { from: req.master.id, to: req.candidate.id, recovered: true } };
      const report = await onlineSwitchover(req, sw);
      return { [`${move.shard}:switchover`]: { from: report.from, to: report.to, write_blocked_ms: report.writeBlockedMs, record_moved_ms: report.recordMovedMs, final_gtid: report.finalGtid } };
    },
  };
}
