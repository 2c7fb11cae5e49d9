import type { RunbookInput, RunbookStep } from '../runbook.js';
import { FROZEN_SUFFIX, renameSql } from '../write-user-rename.js';
import { positionText, sql, type RunbookFacts } from './runbook-facts.js';

/** Step 4 as the runbook shows it: on the new writer, wait for the final position, end the write users' sessions, rename them back. */
export function thawOnNewWriterStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const { from, to, users } = f;
  const fromFinal = i.recorded?.fromFinal;
  const d = i.dialects.to;
  return {
    n: 4,
    phase: '4-thaw-on-new-writer',
    title: `On ${to}: wait until it has applied the final position (the rename, where it replicates), then rename back`,
    actions: [
      { on: to, kind: 'wait', text: `${d.waitForPosition({ file: fromFinal?.file ?? 'mysql-bin.000001', position: fromFinal?.position ?? 4 }, i.replicationWaitMs).statement.redacted.replace(/\?/g, '…')} for ${positionText(fromFinal, 'final position from step 3')} of ${from}` },
      { on: to, kind: 'read', text: `mysql.user shows the *${FROZEN_SUFFIX} name(s)` },
      { on: to, kind: 'read', text: `the PROCESSLIST ids of ${users} (under either name), then for each:` },
      { on: to, kind: 'sql', text: d.killConnection(1).sql.replace('?', '<id>') },
      ...(f.toAurora ? [] : sql(to, d.beforeRenameOnReadOnly())),
      ...sql(to, i.writeUsers.map((u) => renameSql(u, 'thaw'))),
    ],
    checksBefore: [`${to} replicates from ${from} and has applied ${positionText(fromFinal, 'final position from step 3')}`],
    checksAfter: [`${users} exist on ${to} (password and grants as replicated)`],
    wait: `until ${to} applied the final position (at most ${i.replicationWaitMs} ms)`,
    undo: [`on ${to}: ${i.writeUsers.map((u) => renameSql(u, 'freeze')).join('; ')} (so the source's rename-back replicates cleanly)`],
    inWriteWindow: true,
    dnsChanges: [],
  };
}
