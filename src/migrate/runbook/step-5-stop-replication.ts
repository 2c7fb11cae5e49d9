import { STOP_ROUNDS } from '../late-writes.js';
import type { RunbookInput, RunbookStep } from '../runbook.js';
import { positionRead, positionText, sql, type RunbookFacts } from './runbook-facts.js';

/** Step 5 as the runbook shows it: stop replication between two position reads, make the new writer writable. */
export function stopReplicationStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const { from, to } = f;
  const fromFinal = i.recorded?.fromFinal;
  const d = i.dialects.to;
  return {
    n: 5,
    phase: '5-stop-replication',
    title: `Stop replication ${from} -> ${to}${f.toAurora ? '' : ` and make ${to} writable`}`,
    actions: [
      ...(f.fromAurora ? [] : sql(from, i.dialects.from.setReadOnly(true))),
      { on: from, kind: 'read', text: `binlog position P (${positionRead(i.dialects.from)}); ${to} applies it (waited for only when a transaction lies between what it applied and P)` },
      ...sql(to, d.stopReplica()),
      { on: from, kind: 'read', text: `binlog position again: a transaction committed after P (counted by GTID or SHOW BINLOG EVENTS; a rotation is not one) starts replication again and the round repeats (at most ${STOP_ROUNDS} rounds, then a refusal that --resume retries): it reaches ${to} by replication` },
      ...(f.toAurora ? [] : sql(to, d.setReadOnly(false))),
    ],
    checksBefore: [`${to} has applied ${positionText(fromFinal, 'final position from step 3')}`, `${from} is read_only again (read_only is not persisted: a restart since step 3 lost it)`],
    checksAfter: [`${to}: both replication threads stopped`, f.toAurora ? `${to} is the writer (role query)` : `${to}: read_only = 0`],
    wait: 'none',
    undo: [...(f.toAurora ? [] : sql(to, d.setReadOnly(true)).map((a) => `on ${to}: ${a.text}`)), ...sql(to, d.startReplica()).map((a) => `on ${to}: ${a.text}`)],
    inWriteWindow: true,
    dnsChanges: [],
  };
}
