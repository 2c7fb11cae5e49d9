import type { RecordOp } from '../dns/change-set.js';
import type { Dialect } from '../mysql/dialect.js';
import { STOP_ROUNDS } from './late-writes.js';
import { beforeRenameOnReadOnly, READ_ONLY_ON } from './old-writer-plan.js';
import { describeInstance, isAurora, type Side } from './sides.js';
import { FROZEN_SUFFIX, renameSql, type WriteUser } from './write-user-rename.js';

/**
 * The migration runbook as data: a pure function of the validated config, the discovered topology
 * and the records as they were before the switch. `migrate runbook` renders it as Markdown,
 * `migrate run --dry-run` prints the same steps, and `migrate run` executes them as journaled
 * phases (cutover-phases.ts) with the very change sets and statements listed here. The rollback
 * after a finished cutover is the same function with `from` and `to` swapped.
 */
export interface RecordSnapshot {
  name: string;
  ttl: number;
  entries: { address: string; weight: number }[];
}

export interface DnsSnapshot {
  writer: RecordSnapshot;
  reader: RecordSnapshot;
}

export interface RecordedPosition {
  file: string;
  position: number;
  gtid?: string | undefined;
}

export interface RunbookInput {
  direction: 'cutover' | 'rollback';
  /** Where writes go now, and where they will go. */
  from: Side;
  to: Side;
  /** Statement builders of each side's engine (pure). */
  dialects: { from: Dialect; to: Dialect };
  zone: string;
  writeUsers: readonly WriteUser[];
  replication: { user: string; ssl: boolean };
  /** Both records as they were before step 1. */
  dns: DnsSnapshot;
  /** The replica record's entries after step 2. */
  readerEntriesAfter: readonly { address: string; weight: number }[];
  cutoverTtl: number;
  writesStoppedMs: number;
  replicationWaitMs: number;
  /** Filled in once the steps that record them ran (a resumed run, a dry-run after a crash). */
  recorded?: { fromFinal?: RecordedPosition | undefined; toPosition?: RecordedPosition | undefined } | undefined;
}

export type StepPhase =
  | '1-lower-ttl'
  | '2-replica-record'
  | '3-freeze-writes'
  | '4-thaw-on-new-writer'
  | '5-stop-replication'
  | '6-record-position'
  | '7-writer-record'
  | '8-restore-ttl'
  | '9-old-writer-follows';

export interface RunbookAction {
  /** Where it happens: an instance, or MyDNS. */
  on: string;
  /** A SQL statement (passwords masked), a DNS change, or a wait. */
  kind: 'sql' | 'dns' | 'wait' | 'read';
  text: string;
}

export interface RunbookStep {
  n: number;
  phase: StepPhase;
  title: string;
  actions: RunbookAction[];
  checksBefore: string[];
  checksAfter: string[];
  /** How long it waits, in words ("none" when it does not). */
  wait: string;
  undo: string[];
  /** Steps 3-7: writes fail while these run. */
  inWriteWindow: boolean;
  /** The DNS change sets this step applies, in order (each one transaction). */
  dnsChanges: RecordOp[][];
}

export interface Runbook {
  direction: 'cutover' | 'rollback';
  from: Side;
  to: Side;
  steps: RunbookStep[];
}

const MYDNS = 'MyDNS';
// Stands in for the position step 6 records, in a runbook printed before it ran.
const PLACEHOLDER_POSITION = 987_654_321;

export function ttlChanges(dns: DnsSnapshot, from: (r: RecordSnapshot) => number, to: (r: RecordSnapshot) => number): RecordOp[] {
  return [dns.writer, dns.reader]
    .filter((r) => from(r) !== to(r))
    .map((r) => ({ op: 'set-ttl', name: r.name, expect: { ttl: from(r) }, ttl: to(r) }) as RecordOp);
}

/** Adds before removes, so the replica record is never empty in between. */
export function readerChanges(before: RecordSnapshot, after: readonly { address: string; weight: number }[]): RecordOp[] {
  const now = new Map(before.entries.map((e) => [e.address, e.weight]));
  const want = new Map(after.map((e) => [e.address, e.weight]));
  const ops: RecordOp[] = [];
  for (const [address, weight] of want) {
    const current = now.get(address);
    if (current === undefined) ops.push({ op: 'add-address', name: before.name, address, weight });
    else if (current !== weight) ops.push({ op: 'set-weight', name: before.name, address, expect: { weight: current }, weight });
  }
  for (const [address, weight] of now) if (!want.has(address)) ops.push({ op: 'remove-address', name: before.name, address, expect: { weight } });
  return ops;
}

/**
 * The replica record after a cutover: the new side's readers, its writer at weight 0 (the seed's
 * layout). The writer stays out of the pool even before step 7: the write users are back on it
 * from step 4, and a client of the replica record must not write there before step 6's position.
 * A target without readers is refused (preflight, and `run` before it changes anything).
 */
export function readerEntriesFor(side: Side, weight: number): { address: string; weight: number }[] {
  return [{ address: side.writer.host, weight: 0 }, ...side.readers.map((r) => ({ address: r.host, weight }))];
}

function describeOp(op: RecordOp): string {
  switch (op.op) {
    case 'set-ttl':
      return `${op.name}: TTL ${'ttl' in op.expect ? op.expect.ttl : '?'} s -> ${op.ttl} s`;
    case 'add-address':
      return `${op.name}: add ${op.address} weight ${op.weight}`;
    case 'remove-address':
      return `${op.name}: remove ${op.address} (weight ${op.expect.weight})`;
    case 'set-weight':
      return `${op.name}: ${op.address} weight ${op.expect.weight} -> ${op.weight}`;
    case 'replace-writer':
      return `${op.name}: ${op.expect.address} -> ${op.address}`;
    default:
      return `${op.name}: ${op.op}`;
  }
}

function dnsActions(sets: RecordOp[][]): RunbookAction[] {
  return sets.map((set) => ({ on: MYDNS, kind: 'dns', text: `one compare-and-swap change set: ${set.map(describeOp).join('; ')}` }));
}

function sql(on: string, statements: readonly { redacted: string }[] | string[]): RunbookAction[] {
  return statements.map((s) => ({ on, kind: 'sql', text: typeof s === 'string' ? s : s.redacted }));
}

const positionText = (p: RecordedPosition | undefined, what: string): string => (p ? `${p.file}:${p.position}` : `<${what}>`);

export function buildRunbook(i: RunbookInput): Runbook {
  const from = describeInstance(i.from.writer);
  const to = describeInstance(i.to.writer);
  const w = i.dns.writer;
  const r = i.dns.reader;
  const maxOldTtl = Math.max(w.ttl, r.ttl);
  const lower = ttlChanges(i.dns, (x) => x.ttl, () => i.cutoverTtl);
  const restore = ttlChanges(i.dns, () => i.cutoverTtl, (x) => x.ttl);
  const readerOps = readerChanges({ ...r, ttl: i.cutoverTtl }, i.readerEntriesAfter);
  const writerOp: RecordOp = { op: 'replace-writer', name: w.name, expect: { address: i.from.writer.host }, address: i.to.writer.host };
  const users = i.writeUsers.map((u) => `'${u.user}'@'${u.host}'`).join(', ');
  const fromFinal = i.recorded?.fromFinal;
  const toPos = i.recorded?.toPosition;
  const changeSource = i.dialects.from.changeSource({
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
  const fromAurora = isAurora(i.from.engine);
  const toAurora = isAurora(i.to.engine);
  const steps: RunbookStep[] = [
    {
      n: 1,
      phase: '1-lower-ttl',
      title: `Lower the TTL of ${w.name} and ${r.name} to ${i.cutoverTtl} s, then wait out the old TTL`,
      actions: [...dnsActions(lower.length ? [lower] : []), { on: MYDNS, kind: 'wait', text: `${lower.length ? maxOldTtl : 0} s, so every cache holds the ${i.cutoverTtl} s TTL` }],
      checksBefore: [`each record still has its TTL (${w.name} ${w.ttl} s, ${r.name} ${r.ttl} s): compare-and-swap`],
      checksAfter: [`both records read back with TTL ${i.cutoverTtl} s`],
      wait: lower.length ? `${maxOldTtl} s (the old TTL)` : 'none (the TTL already is the cutover TTL)',
      undo: [`set the TTLs back: ${restore.map(describeOp).join('; ') || 'nothing to do'}`],
      inWriteWindow: false,
      dnsChanges: lower.length ? [lower] : [],
    },
    {
      n: 2,
      phase: '2-replica-record',
      title: `Point the replica record ${r.name} at ${i.direction === 'cutover' ? "the target's readers" : "the source's readers"}`,
      actions: dnsActions(readerOps.length ? [readerOps] : []),
      checksBefore: [`${r.name} still holds ${r.entries.map((e) => `${e.address}/${e.weight}`).join(', ')}`, ...i.to.readers.map((x) => `${describeInstance(x)} answers`)],
      checksAfter: [`${r.name} reads back as ${i.readerEntriesAfter.map((e) => `${e.address}/${e.weight}`).join(', ')}`],
      wait: 'none',
      undo: [`${r.name} back to ${r.entries.map((e) => `${e.address}/${e.weight}`).join(', ')}`],
      inWriteWindow: false,
      dnsChanges: readerOps.length ? [readerOps] : [],
    },
    {
      n: 3,
      phase: '3-freeze-writes',
      title: `Stop writes on ${from}: rename the write user(s), end their connections`,
      actions: [
        { on: to, kind: 'read', text: `mysql.user: where a rollback left ${users} frozen alone there, the rename below runs inside SET SESSION sql_log_bin = 0 ... SET SESSION sql_log_bin = 1 (it must not replicate: the target already has the frozen name; it is not thawed there before step 4)` },
        ...sql(from, i.writeUsers.map((u) => renameSql(u, 'freeze'))),
        { on: from, kind: 'read', text: `the PROCESSLIST ids of ${users} (under either name), then for each:` },
        { on: from, kind: 'sql', text: fromAurora ? 'CALL mysql.rds_kill(<id>)' : 'KILL CONNECTION <id>' },
        ...(fromAurora ? [{ on: from, kind: 'sql' as const, text: '(read_only cannot be set on Aurora: only the rename stops writes here)' }] : sql(from, [READ_ONLY_ON])),
        { on: from, kind: 'read', text: `binlog position (${i.dialects.from.binlogStatusQuery().redacted}) read until it stays put for ${i.writesStoppedMs} ms: the final position` },
      ],
      checksBefore: [`${users} exist on ${from} and no *${FROZEN_SUFFIX} account does`],
      checksAfter: [`only the *${FROZEN_SUFFIX} name(s) exist on ${from}`, ...(fromAurora ? [] : [`${from}: read_only = 1 (writers the rename does not stop fail too)`]), `the binlog position did not move for ${i.writesStoppedMs} ms`],
      wait: `${i.writesStoppedMs} ms of a still binlog (at most ${i.replicationWaitMs} ms)`,
      undo: [...sql(from, i.writeUsers.map((u) => renameSql(u, 'thaw'))), ...(fromAurora ? [] : sql(from, i.dialects.from.setReadOnly(false)))].map((a) => `on ${a.on}: ${a.text}`),
      inWriteWindow: true,
      dnsChanges: [],
    },
    {
      n: 4,
      phase: '4-thaw-on-new-writer',
      title: `On ${to}: wait until it has applied the final position (the rename, where it replicates), then rename back`,
      actions: [
        { on: to, kind: 'wait', text: `${i.dialects.to.waitForPosition({ file: fromFinal?.file ?? 'mysql-bin.000001', position: fromFinal?.position ?? 4 }, i.replicationWaitMs).statement.redacted.replace(/\?/g, '…')} for ${positionText(fromFinal, 'final position from step 3')} of ${from}` },
        { on: to, kind: 'read', text: `mysql.user shows the *${FROZEN_SUFFIX} name(s)` },
        { on: to, kind: 'read', text: `the PROCESSLIST ids of ${users} (under either name), then for each:` },
        { on: to, kind: 'sql', text: toAurora ? 'CALL mysql.rds_kill(<id>)' : 'KILL CONNECTION <id>' },
        ...(toAurora ? [] : sql(to, beforeRenameOnReadOnly(i.dialects.to.version.flavor))),
        ...sql(to, i.writeUsers.map((u) => renameSql(u, 'thaw'))),
      ],
      checksBefore: [`${to} replicates from ${from} and has applied ${positionText(fromFinal, 'final position from step 3')}`],
      checksAfter: [`${users} exist on ${to} (password and grants as replicated)`],
      wait: `until ${to} applied the final position (at most ${i.replicationWaitMs} ms)`,
      undo: [`on ${to}: ${i.writeUsers.map((u) => renameSql(u, 'freeze')).join('; ')} (so the source's rename-back replicates cleanly)`],
      inWriteWindow: true,
      dnsChanges: [],
    },
    {
      n: 5,
      phase: '5-stop-replication',
      title: `Stop replication ${from} -> ${to}${toAurora ? '' : ` and make ${to} writable`}`,
      actions: [
        ...(fromAurora ? [] : sql(from, [READ_ONLY_ON])),
        { on: from, kind: 'read', text: `binlog position P (${i.dialects.from.binlogStatusQuery().redacted}); ${to} applies it (waited for only when a transaction lies between what it applied and P)` },
        ...sql(to, i.dialects.to.stopReplica()),
        { on: from, kind: 'read', text: `binlog position again: a transaction committed after P (counted by GTID or SHOW BINLOG EVENTS; a rotation is not one) starts replication again and the round repeats (at most ${STOP_ROUNDS} rounds, then a refusal that --resume retries): it reaches ${to} by replication` },
        ...(toAurora ? [] : sql(to, i.dialects.to.setReadOnly(false))),
      ],
      checksBefore: [`${to} has applied ${positionText(fromFinal, 'final position from step 3')}`, `${from} is read_only again (read_only is not persisted: a restart since step 3 lost it)`],
      checksAfter: [`${to}: both replication threads stopped`, toAurora ? `${to} is the writer (role query)` : `${to}: read_only = 0`],
      wait: 'none',
      undo: [...(toAurora ? [] : sql(to, i.dialects.to.setReadOnly(true)).map((a) => `on ${to}: ${a.text}`)), ...sql(to, i.dialects.to.startReplica()).map((a) => `on ${to}: ${a.text}`)],
      inWriteWindow: true,
      dnsChanges: [],
    },
    {
      n: 6,
      phase: '6-record-position',
      title: `Record ${to}'s binlog position`,
      actions: [{ on: to, kind: 'read', text: `${i.dialects.to.binlogStatusQuery().redacted}${toPos ? ` -> ${toPos.file}:${toPos.position}` : ''}` }],
      checksBefore: [],
      checksAfter: ['the position is kept in the journal (step 9 and a rollback start from it)'],
      wait: 'none',
      undo: ['nothing (a read)'],
      inWriteWindow: true,
      dnsChanges: [],
    },
    {
      n: 7,
      phase: '7-writer-record',
      title: `Point the writer record ${w.name} at ${to}`,
      actions: dnsActions([[writerOp]]),
      checksBefore: [`${w.name} still names ${i.from.writer.host}`, `${to} replication stopped and it is writable`],
      checksAfter: [`${w.name} reads back as ${i.to.writer.host}`],
      wait: 'none',
      undo: [`${w.name}: ${i.to.writer.host} -> ${i.from.writer.host}`],
      inWriteWindow: true,
      dnsChanges: [[writerOp]],
    },
    {
      n: 8,
      phase: '8-restore-ttl',
      title: `Restore the TTLs of ${w.name} and ${r.name}`,
      actions: dnsActions(restore.length ? [restore] : []),
      checksBefore: [`both records still have TTL ${i.cutoverTtl} s`],
      checksAfter: [`${w.name} TTL ${w.ttl} s, ${r.name} TTL ${r.ttl} s`],
      wait: 'none',
      undo: ['nothing needed (TTL only)'],
      inWriteWindow: false,
      dnsChanges: restore.length ? [restore] : [],
    },
    {
      n: 9,
      phase: '9-old-writer-follows',
      title: fromAurora
        ? `Make ${from} a replica of ${to} from the step 6 position; the write user(s) stay frozen there (Aurora cannot be made read-only)`
        : `Make ${from} a read-only replica of ${to} from the step 6 position, with the write user(s) restored`,
      actions: [
        ...(fromAurora ? [] : sql(from, [READ_ONLY_ON])),
        { on: from, kind: 'read', text: `binlog position: no transaction after the position step 5 left ${to} at (else refuse: it exists only here; --accept-source-position journals the operator's acknowledgement and goes on)` },
        ...sql(from, i.dialects.from.resetReplicaAll()),
        ...changeSourceText.map((text) => ({ on: from, kind: 'sql' as const, text })),
        ...sql(from, i.dialects.from.startReplica()),
        ...(fromAurora
          ? [{ on: from, kind: 'sql' as const, text: `(no rename back: ${users} stay frozen until the next cutover to ${from} thaws them in its step 4, after its final position)` }]
          : [...sql(from, beforeRenameOnReadOnly(i.dialects.from.version.flavor)), ...sql(from, i.writeUsers.map((u) => renameSql(u, 'thaw'))), ...sql(from, i.dialects.from.setReadOnly(true))]),
      ],
      checksBefore: [`${w.name} names ${i.to.writer.host}`, `${from} has no transaction after the position ${to} applied in step 5 (skipped on a resume once the replica status names ${i.to.writer.host})`],
      checksAfter: [`${from}: IO and SQL threads running from ${i.to.writer.host}:${i.to.writer.port}`, fromAurora ? `only the *${FROZEN_SUFFIX} name(s) exist on ${from}` : `${users} exist on ${from}, read-only`],
      wait: `until both replication threads run (at most ${i.replicationWaitMs} ms)`,
      undo: [`${i.dialects.from.stopReplica().map((s) => s.redacted).join('; ')} on ${from}; the rollback is the same runbook with the roles swapped: dbfleet migrate rollback`],
      inWriteWindow: false,
      dnsChanges: [],
    },
  ];
  return { direction: i.direction, from: i.from, to: i.to, steps };
}
