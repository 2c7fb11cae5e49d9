import type { RecordOp } from '../dns/change-set.js';
import type { Dialect } from '../mysql/dialect.js';
import { runbookFacts } from './runbook/runbook-facts.js';
import { lowerTtlStep } from './runbook/step-1-lower-ttl.js';
import { replicaRecordStep } from './runbook/step-2-replica-record.js';
import { freezeWritesStep } from './runbook/step-3-freeze-writes.js';
import { thawOnNewWriterStep } from './runbook/step-4-thaw-on-new-writer.js';
import { stopReplicationStep } from './runbook/step-5-stop-replication.js';
import { recordPositionStep } from './runbook/step-6-record-position.js';
import { writerRecordStep } from './runbook/step-7-writer-record.js';
import { restoreTtlStep } from './runbook/step-8-restore-ttl.js';
import { oldWriterFollowsStep } from './runbook/step-9-old-writer-follows.js';
import type { Side } from './sides.js';
import type { WriteUser } from './write-user-rename.js';

export { readerChanges, readerEntriesFor, ttlChanges } from './runbook/record-changes.js';

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
  /** cutover.writes_stopped_proof: step 3 takes the final position at once where the old writer proves the freeze (freeze-proof.ts). */
  writesStoppedProof?: boolean | undefined;
  /** cutover.lock_wait_s: the server-side bound on every admin session's lock waits. */
  lockWaitS?: number | undefined;
  replicationWaitMs: number;
  /** Filled in once the steps that record them ran (a resumed run, a dry-run after a crash). */
  recorded?: { fromFinal?: RecordedPosition | undefined; toPosition?: RecordedPosition | undefined } | undefined;
  /** Step 9 gives the new writer's anonymous transactions GTIDs on the old writer (gtid-mode-plan.ts); read from both servers. */
  oldWriterAssignsGtids?: boolean | undefined;
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

/**
 * The runbook: the seed's nine steps, one pure builder each under runbook/ (their phases, which
 * execute them, are under steps/).
 */
export function buildRunbook(i: RunbookInput): Runbook {
  const f = runbookFacts(i);
  const steps: RunbookStep[] = [
    lowerTtlStep(i, f),
    replicaRecordStep(i, f),
    freezeWritesStep(i, f),
    thawOnNewWriterStep(i, f),
    stopReplicationStep(i, f),
    recordPositionStep(i, f),
    writerRecordStep(i, f),
    restoreTtlStep(i, f),
    oldWriterFollowsStep(i, f),
  ];
  return { direction: i.direction, from: i.from, to: i.to, steps };
}
