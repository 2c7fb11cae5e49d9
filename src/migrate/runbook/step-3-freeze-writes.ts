import type { RunbookInput, RunbookStep } from '../runbook.js';
import { FROZEN_SUFFIX, renameSql } from '../write-user-rename.js';
import { positionRead, sql, type RunbookFacts } from './runbook-facts.js';

/** Step 3 as the runbook shows it: rename the write users on the old writer, end their sessions, read-only (the dialect's full read-only). */
export function freezeWritesStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const { from, to, users } = f;
  const d = i.dialects.from;
  // freeze-proof.ts: only where the full read-only stops every account (MySQL's super_read_only)
  const proof = i.writesStoppedProof === true && !f.fromAurora && d.readOnlyBypassPrivileges().length === 0;
  const still = `${i.writesStoppedMs} ms`;
  return {
    n: 3,
    phase: '3-freeze-writes',
    title: `Stop writes on ${from}: rename the write user(s), end their connections`,
    actions: [
      ...(i.lockWaitS === undefined ? [] : [{ on: from, kind: 'sql' as const, text: `SET SESSION lock_wait_timeout = ${i.lockWaitS}` }]),
      { on: to, kind: 'read', text: `mysql.user: where a rollback left ${users} frozen alone there, the rename below runs inside SET SESSION sql_log_bin = 0 ... SET SESSION sql_log_bin = 1 (it must not replicate: the target already has the frozen name; it is not thawed there before step 4)` },
      ...sql(from, i.writeUsers.map((u) => renameSql(u, 'freeze'))),
      { on: from, kind: 'read', text: `the PROCESSLIST ids of ${users} (under either name), then for each:` },
      { on: from, kind: 'sql', text: d.killConnection(1).sql.replace('?', '<id>') },
      ...(f.fromAurora ? [{ on: from, kind: 'sql' as const, text: '(read_only cannot be set on Aurora: only the rename stops writes here)' }] : sql(from, d.setReadOnly(true))),
      proof
        ? { on: from, kind: 'read', text: `XA RECOVER and the running replication appliers: with none, and the full read-only on, nothing can commit any more: binlog position (${positionRead(d)}) read twice, the final position when both agree; otherwise read until it stays put for ${still}` }
        : { on: from, kind: 'read', text: `binlog position (${positionRead(d)}) read until it stays put for ${still}: the final position` },
    ],
    checksBefore: [`${users} exist on ${from} and no *${FROZEN_SUFFIX} account does`],
    checksAfter: [`only the *${FROZEN_SUFFIX} name(s) exist on ${from}`, ...(f.fromAurora ? [] : [`${from}: ${d.setReadOnly(true).map((s) => s.redacted.replace(/^SET GLOBAL /, '')).join(', ')} (writers the rename does not stop fail too)`]), proof ? `nothing can commit any more (or the binlog position did not move for ${still})` : `the binlog position did not move for ${still}`],
    wait: proof ? `none where the freeze is proven; otherwise ${still} of a still binlog (at most ${i.replicationWaitMs} ms)` : `${still} of a still binlog (at most ${i.replicationWaitMs} ms)`,
    undo: [...(f.fromAurora ? [] : sql(from, d.beforeRenameOnReadOnly())), ...sql(from, i.writeUsers.map((u) => renameSql(u, 'thaw'))), ...(f.fromAurora ? [] : sql(from, d.setReadOnly(false)))].map((a) => `on ${a.on}: ${a.text}`),
    inWriteWindow: true,
    dnsChanges: [],
  };
}
