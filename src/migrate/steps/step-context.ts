import { RemoteError } from '../../core/errors.js';
import type { FileJournal } from '../../core/phases/journal.js';
import type { SqlSession } from '../../mysql/admin.js';
import { applyPending, verifyApplied } from '../dns-steps.js';
import { boundLockWaits, lockBound, type LockBound } from '../lock-bounds.js';
import { withDns, type MigrateEnv, type WriterConnections } from '../migrate-env.js';
import type { WithSnapshot } from '../migrate-state.js';
import type { Runbook, RunbookStep, StepPhase } from '../runbook.js';
import { describeInstance } from '../sides.js';

export interface CutoverOptions {
  /** The run's journal: step 9 journals an --accept-source-position there. */
  journal: FileJournal;
  /** The operator accepts that transactions after the position step 9 compares against exist only on the old writer. */
  acceptSourcePosition?: boolean | undefined;
}

/** What every step of one direction's run shares: the runbook it executes, the connections, the names. */
export interface StepContext {
  rb: Runbook;
  snapshot: WithSnapshot['snapshot'];
  env: MigrateEnv;
  conns: WriterConnections;
  opts: CutoverOptions;
  fromName: string;
  toName: string;
  /** cutover.replication_wait_ms: the bound of every replication wait. */
  wait: number;
  /** cutover.lock_wait_s: the bound of every statement in the write window that can wait on a lock. */
  bound: LockBound;
  /** The runbook's entry of a step: its title and its DNS change sets. */
  step(p: StepPhase): RunbookStep;
  /** Applies what is not applied yet of a change set (one compare-and-swap transaction). */
  dns(ops: Parameters<typeof applyPending>[2], why: string): Promise<number>;
  dnsVerify(ops: Parameters<typeof verifyApplied>[2]): Promise<void>;
}

export function stepContext(rb: Runbook, snapshot: WithSnapshot['snapshot'], env: MigrateEnv, conns: WriterConnections, opts: CutoverOptions): StepContext {
  const zone = env.config.dns.zone;
  const bound = lockBound(env.config.cutover);
  // Step 7's compare-and-swap runs in the window: its row-lock and metadata-lock waits are bounded too.
  const dnsBounded = <T>(work: (s: SqlSession) => Promise<T>): Promise<T> =>
    withDns(env, async (s) => {
      await boundLockWaits(s, bound.seconds);
      return work(s);
    });
  return {
    rb,
    snapshot,
    env,
    conns,
    opts,
    fromName: describeInstance(rb.from.writer),
    toName: describeInstance(rb.to.writer),
    wait: env.config.cutover.replication_wait_ms,
    bound,
    step: (p) => rb.steps.find((s) => s.phase === p) as RunbookStep,
    dns: (ops, why) => dnsBounded((s) => applyPending(s, zone, ops, `${rb.direction}: ${why}`, env.actor, env.logger, { lockWaitSeconds: bound.seconds, timeoutMs: bound.query.timeoutMs })),
    dnsVerify: (ops) => dnsBounded((s) => verifyApplied(s, zone, ops)),
  };
}

export function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new RemoteError('MIGRATE_STATE_MISSING', `the journal does not hold ${what}`, { next: 'the journal is not from this runbook; inspect it before going on' });
  return v;
}

export const at = (p: { file: string; position: number }): string => `${p.file}:${p.position}`;

/** The command that resumes a direction (the rollback's reverse switch is resumed by `rollback --resume`). */
export function resumeCommand(direction: Runbook['direction']): string {
  return direction === 'cutover' ? 'dbfleet migrate run --resume' : 'dbfleet migrate rollback --resume';
}
