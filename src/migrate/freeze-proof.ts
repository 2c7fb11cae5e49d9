import type { Logger } from '../core/logger.js';
import { isDbfleetError } from '../core/errors.js';
import type { MysqlAdmin } from '../mysql/admin.js';
import { dialectOf } from './migrate-connect.js';
import { comparePositions, toRecorded, waitBinlogStill } from './replication-checks.js';
import type { RecordedPosition } from './runbook.js';
import { isAurora, type Side } from './sides.js';
import { fullyReadOnly } from './steps/side-read-only.js';

/**
 * Step 3's final position without the still-binlog wait, where the old writer proves that nothing
 * commits there any more. Once SET GLOBAL read_only = 1 has returned, no commit is in flight (it
 * waits for them); with MySQL's super_read_only on, no session commits, whatever its privileges.
 * What still commits through it, measured on MySQL 9.7: XA COMMIT of a prepared XA transaction
 * (any session may finish a detached one), and a replication applier. So: proven when the full
 * read-only stops every account (the dialect names no privilege that bypasses it), no XA
 * transaction is prepared and no applier runs. MariaDB's read_only lets SUPER / READ_ONLY ADMIN
 * through, and on Aurora only the rename stops writes: there the binlog must stand still.
 */
export interface FreezeObserved {
  aurora: boolean;
  /** Privileges with which an account still commits through the dialect's full read-only. */
  bypassPrivileges: readonly string[];
  fullReadOnly?: boolean | undefined;
  /** XA RECOVER's rows; undefined when the server would not say (XA_RECOVER_ADMIN missing). */
  preparedXa?: number | undefined;
  /** Replication applier services that are ON; undefined when unknown. */
  runningAppliers?: number | undefined;
}

export type FreezeProof = { proven: true } | { proven: false; why: string };

/** Pure: whether the observations prove that no transaction can commit on the old writer any more. */
export function freezeProof(o: FreezeObserved): FreezeProof {
  if (o.aurora) return { proven: false, why: 'Aurora: only the rename stops writes there' };
  if (o.bypassPrivileges.length > 0) return { proven: false, why: `read_only lets ${o.bypassPrivileges.join(' / ')} accounts write` };
  if (o.fullReadOnly !== true) return { proven: false, why: o.fullReadOnly === false ? 'the full read-only is off' : 'the full read-only state is unknown' };
  if (o.preparedXa === undefined) return { proven: false, why: 'XA RECOVER was refused (grant XA_RECOVER_ADMIN): a prepared XA transaction could still commit' };
  if (o.preparedXa > 0) return { proven: false, why: `${o.preparedXa} prepared XA transaction(s): XA COMMIT goes through super_read_only` };
  if (o.runningAppliers === undefined) return { proven: false, why: 'the replication applier state is unknown' };
  if (o.runningAppliers > 0) return { proven: false, why: `${o.runningAppliers} replication applier(s) run there and commit through super_read_only` };
  return { proven: true };
}

/** Reads what freezeProof needs, stopping at the first thing that already rules the proof out. */
export async function observeFreeze(a: MysqlAdmin, side: Side): Promise<FreezeObserved> {
  const base = { aurora: isAurora(side.engine), bypassPrivileges: isAurora(side.engine) ? [] : dialectOf(a).readOnlyBypassPrivileges() };
  if (base.aurora || base.bypassPrivileges.length > 0) return base;
  const ro = await fullyReadOnly(a, side);
  if (!ro) return { ...base, fullReadOnly: ro };
  const preparedXa = await countOrUnknown(() => a.session.query('XA RECOVER'));
  return { ...base, fullReadOnly: ro, preparedXa, runningAppliers: await runningAppliers(a) };
}

/** Channels whose applier (SQL thread) runs, from every row of the dialect's replica status (one per channel); undefined when a row does not say. */
async function runningAppliers(a: MysqlAdmin): Promise<number | undefined> {
  const q = dialectOf(a).replicaStatusQuery();
  const rows = await a.session.query(q.sql, q.params);
  let running = 0;
  for (const r of rows) {
    const v = r['Replica_SQL_Running'] ?? r['Slave_SQL_Running'];
    if (typeof v !== 'string') return undefined;
    if (v.toLowerCase() !== 'no') running += 1;
  }
  return running;
}

async function countOrUnknown(read: () => Promise<unknown[]>): Promise<number | undefined> {
  try {
    return (await read()).length;
  } catch (e) {
    // a refusal (privilege, no such table) means "cannot prove"; a lost connection is the caller's
    if (isDbfleetError(e) && typeof e.details['errno'] === 'number') return undefined;
    throw e;
  }
}

export interface FinalPosition {
  position: RecordedPosition;
  /** How writes were shown to have stopped: proven by the server's state, or by a still binlog. */
  by: 'proof' | 'still-binlog';
  /** Why the proof did not hold (by still-binlog). */
  why?: string | undefined;
}

/**
 * The old writer's final position after the freeze: with `proof` and a proven freeze, two reads
 * back to back that agree with the full read-only still on; otherwise (or when they disagree) the
 * binlog read until it stays put for `stableMs`.
 */
export async function finalPosition(a: MysqlAdmin, side: Side, o: { proof: boolean; stableMs: number; deadlineMs: number; sleep: (ms: number) => Promise<void>; logger: Logger }): Promise<FinalPosition> {
  let why = 'cutover.writes_stopped_proof is off';
  if (o.proof) {
    const p = freezeProof(await observeFreeze(a, side));
    if (p.proven) {
      const first = await a.binlogPosition();
      const again = await a.binlogPosition();
      // re-read last: the proof held over the whole interval of the two position reads
      if (comparePositions(first, again) === 0 && first.gtidSet === again.gtidSet && (await fullyReadOnly(a, side))) return { position: toRecorded(again), by: 'proof' };
      why = 'the binlog moved (or the full read-only went off) right after the proof';
      o.logger.warn({ first, again }, `writes-stopped proof did not hold: ${why}; waiting for a still binlog`);
    } else {
      why = p.why;
    }
  }
  return { position: await waitBinlogStill(a, o.stableMs, o.deadlineMs, o.sleep), by: 'still-binlog', why };
}
