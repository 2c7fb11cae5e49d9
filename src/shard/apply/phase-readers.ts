import type { Phase } from '../../core/phases/phase-runner.js';
import type { RecordOp } from '../../dns/change-set.js';
import { applyChangeSet, listRecords } from '../../dns/record-store.js';
import type { NameState } from '../../dns/record-types.js';
import { addressOf, knownAddress, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';

/**
 * The reader record's change after a switchover (pure): the new replicas are added with the
 * reader weight, the old servers' rows are drained to weight 0 but kept (so a rollback only
 * changes weights; retire removes them). Empty when the record already says so.
 */
export function readerChanges(current: NameState, newReplicas: readonly string[], oldServers: readonly string[], weight: number): RecordOp[] {
  const ops: RecordOp[] = [];
  const row = (a: string): NameState['records'][number] | undefined => current.records.find((r) => r.address === a);
  for (const a of newReplicas) {
    const r = row(a);
    if (!r) ops.push({ op: 'add-address', name: current.name, address: a, weight });
    else if (r.weight !== weight) ops.push({ op: 'set-weight', name: current.name, address: a, expect: { weight: r.weight }, weight });
  }
  for (const a of oldServers) {
    const r = row(a);
    if (r && r.weight !== 0 && !newReplicas.includes(a)) ops.push({ op: 'set-weight', name: current.name, address: a, expect: { weight: r.weight }, weight: 0 });
  }
  return ops;
}

/** Readers: the shard's reader record follows the new replicas (compare-and-swap, audited). */
export function readersPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  const olds = [move.master.host, ...move.replicas.map((r) => r.host)];
  return {
    name: `${move.shard}/readers`,
    describe: (state) => {
      const news = move.targets.slice(1).map((t) => knownAddress(state, move, t) ?? `(${t.host.name} address from provision)`);
      return `${move.cluster.reader_record}: add ${news.join(', ') || 'nothing'} at weight ${s.readerWeight}; drain ${olds.join(', ')} to weight 0 (rows kept for a rollback)`;
    },
    run: async (state) => {
      const news = move.targets.slice(1).map((t) => addressOf(state, move, t));
      const dns = await deps.openDns();
      try {
        const current = await listRecords(dns, s.zone, move.cluster.reader_record, { timeoutMs: 5_000 });
        const ops = readerChanges(current, news, olds, s.readerWeight);
        if (ops.length > 0) await applyChangeSet(dns, s.zone, ops, { actor: deps.actor, why: `consolidation of ${move.shard}: readers follow the new replicas` }, { timeoutMs: 5_000 });
        deps.logger.info({ shard: move.shard, record: move.cluster.reader_record, changes: ops.length }, 'reader record updated');
      } finally {
        await dns.close().catch(() => undefined);
      }
    },
  };
}
