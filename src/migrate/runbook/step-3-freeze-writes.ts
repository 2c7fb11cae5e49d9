import type { RunbookInput, RunbookStep } from '../runbook.js';
import { FROZEN_SUFFIX, renameSql } from '../write-user-rename.js';
import { positionRead, sql, type RunbookFacts } from './runbook-facts.js';

/** Step 3 as the runbook shows it: rename the write users on the old writer, end their sessions, read-only (the dialect's full read-only). */
export function freezeWritesStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const { from, to, users } = f;
  const d = i.dialects.from;
  return {
    n: 3,
    phase: '3-freeze-writes',
    title: `Stop writes on ${from}: rename the write user(s), end their connections`,
    actions: [
      { on: to, kind: 'read', text: `mysql.user: where a rollback left ${users} frozen alone there, the rename below runs inside SET SESSION sql_log_bin = 0 ... SET SESSION sql_log_bin = 1 (it must not replicate: the target already has the frozen name; it is not thawed there before step 4)` },
      ...sql(from, i.writeUsers.map((u) => renameSql(u, 'freeze'))),
      { on: from, kind: 'read', text: `the PROCESSLIST ids of ${users} (under either name), then for each:` },
      { on: from, kind: 'sql', text: d.killConnection(1).sql.replace('?', '<id>') },
      ...(f.fromAurora ? [{ on: from, kind: 'sql' as const, text: '(read_only cannot be set on Aurora: only the rename stops writes here)' }] : sql(from, d.setReadOnly(true))),
      { on: from, kind: 'read', text: `binlog position (${positionRead(d)}) read until it stays put for ${i.writesStoppedMs} ms: the final position` },
    ],
    checksBefore: [`${users} exist on ${from} and no *${FROZEN_SUFFIX} account does`],
    checksAfter: [`only the *${FROZEN_SUFFIX} name(s) exist on ${from}`, ...(f.fromAurora ? [] : [`${from}: ${d.setReadOnly(true).map((s) => s.redacted.replace(/^SET GLOBAL /, '')).join(', ')} (writers the rename does not stop fail too)`]), `the binlog position did not move for ${i.writesStoppedMs} ms`],
    wait: `${i.writesStoppedMs} ms of a still binlog (at most ${i.replicationWaitMs} ms)`,
    undo: [...(f.fromAurora ? [] : sql(from, d.beforeRenameOnReadOnly())), ...sql(from, i.writeUsers.map((u) => renameSql(u, 'thaw'))), ...(f.fromAurora ? [] : sql(from, d.setReadOnly(false)))].map((a) => `on ${a.on}: ${a.text}`),
    inWriteWindow: true,
    dnsChanges: [],
  };
}
