import type { RunbookInput, RunbookStep } from '../runbook.js';
import { FROZEN_SUFFIX, renameSql } from '../write-user-rename.js';
import { PLACEHOLDER_POSITION, positionRead, sql, type RunbookFacts } from './runbook-facts.js';

/** Step 9 as the runbook shows it: the old writer replicates from the new one from step 6's position, read-only, write users back (not on Aurora). */
export function oldWriterFollowsStep(i: RunbookInput, f: RunbookFacts): RunbookStep {
  const { from, to, users } = f;
  const d = i.dialects.from;
  const toPos = i.recorded?.toPosition;
  const changeSource = d.changeSource({
    kind: 'position',
    host: i.to.writer.host,
    port: i.to.writer.port,
    user: i.replication.user,
    password: 'x',
    file: toPos?.file ?? 'FILE-FROM-STEP-6',
    position: toPos?.position ?? PLACEHOLDER_POSITION,
    ssl: i.replication.ssl,
  });
  const changeSourceText = changeSource.map((s) => (toPos ? s.redacted : s.redacted.replace("'FILE-FROM-STEP-6'", "'<file from step 6>'").replace(String(PLACEHOLDER_POSITION), '<position from step 6>')));
  const assign = i.oldWriterAssignsGtids ? (d.assignGtidsToAnonymous() ?? []) : [];
  return {
    n: 9,
    phase: '9-old-writer-follows',
    title: f.fromAurora
      ? `Make ${from} a replica of ${to} from the step 6 position; the write user(s) stay frozen there (Aurora cannot be made read-only)`
      : `Make ${from} a read-only replica of ${to} from the step 6 position, with the write user(s) restored`,
    actions: [
      ...(f.fromAurora ? [] : sql(from, d.setReadOnly(true))),
      { on: from, kind: 'read', text: `binlog position (${positionRead(d)}): no transaction after the position step 5 left ${to} at (else refuse: it exists only here; --accept-source-position journals the operator's acknowledgement and goes on)` },
      ...sql(from, d.resetReplicaAll()),
      ...changeSourceText.map((text) => ({ on: from, kind: 'sql' as const, text })),
      ...(assign.length ? [{ on: from, kind: 'read' as const, text: `gtid_mode: ${to} writes anonymous transactions, ${from} is at ON: it gives them GTIDs of its own server_uuid (set with both threads stopped, right after the change of source; the channel keeps it until RESET REPLICA ALL, so a resume sets it again only where it reads it missing)` }, ...sql(from, assign)] : []),
      ...sql(from, d.startReplica()),
      ...(f.fromAurora
        ? [{ on: from, kind: 'sql' as const, text: `(no rename back: ${users} stay frozen until the next cutover to ${from} thaws them in its step 4, after its final position)` }]
        : [...sql(from, d.beforeRenameOnReadOnly()), ...sql(from, i.writeUsers.map((u) => renameSql(u, 'thaw'))), ...sql(from, d.setReadOnly(true))]),
    ],
    checksBefore: [
      `${i.dns.writer.name} names ${i.to.writer.host}`,
      `${from} has no transaction after the position ${to} applied in step 5 (skipped on a resume once the replica status names ${i.to.writer.host})`,
      `the gtid_mode of ${from} and ${to} lets ${from} apply what ${to} writes (else refuse, changing nothing)`,
    ],
    checksAfter: [`${from}: IO and SQL threads running from ${i.to.writer.host}:${i.to.writer.port}`, f.fromAurora ? `only the *${FROZEN_SUFFIX} name(s) exist on ${from}` : `${users} exist on ${from}, read-only`],
    wait: `until both replication threads run (at most ${i.replicationWaitMs} ms)`,
    undo: [`${d.stopReplica().map((s) => s.redacted).join('; ')} on ${from}; the rollback is the same runbook with the roles swapped: dbfleet migrate rollback`],
    inWriteWindow: false,
    dnsChanges: [],
  };
}
