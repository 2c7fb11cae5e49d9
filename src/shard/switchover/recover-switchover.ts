import { randomBytes } from 'node:crypto';
import { processAlive } from '../../core/process-alive.js';
import { SafetyRefusal } from '../../core/errors.js';
import { listRecords } from '../../dns/record-store.js';
import { acquireOrRenew, ensureLeaseTable, readLease, releaseLease } from '../../failover/lease/lease-store.js';
import type { Endpoint, MysqlAdmin } from '../../mysql/admin.js';
import { TIMEOUTS, detachCandidate, endConnections, moveWriterRecord, oldMasterFollows, repointReplicas } from './after-promotion.js';
import type { SwitchoverDeps, SwitchoverMember, SwitchoverRequest } from './online-switchover.js';
import { dialectOf, gtidPosition } from '../engine/admin-dialect.js';

export type RecoveryOutcome =
  /** Nothing of an earlier run is left over: run the switchover. */
  | 'clean'
  /** The old master was left read-only before the promotion; it is writable again: run the switchover. */
  | 'unblocked'
  /** The candidate had been promoted; the later steps are finished now: nothing more to do. */
  | 'completed';

/** `actor:pid:hex`, the holder name a switchover takes its lease under. */
const HOLDER = /^(.*):(\d+):[0-9a-f]+$/;

/** A lease held by a run of ours (same actor: same user and machine) whose process is gone. */
export function isOwnDeadHolder(holder: string, actor: string, alive: (pid: number) => boolean): boolean {
  const m = HOLDER.exec(holder);
  return m !== null && m[1] === actor && !alive(Number(m[2]));
}

/**
 * Puts a switchover a crash interrupted back on a known footing, from what the servers and the
 * writer record say (never from memory): promoted already -> finish the later steps (each is
 * idempotent); not promoted and the old master left read-only by the dead run -> make it
 * writable again, so the switchover can run from the start. `interrupted` says the journal shows
 * our run started this switchover and never finished it: only then is a read-only master ours to
 * unblock. The dead run's lease is released only when its process is verifiably gone.
 */
export async function recoverInterruptedSwitchover(req: SwitchoverRequest, deps: SwitchoverDeps, interrupted: boolean): Promise<RecoveryOutcome> {
  const ep = (m: SwitchoverMember): Endpoint => ({ host: m.host, port: m.port, user: req.admin.user, password: req.admin.password });
  const q = { timeoutMs: 5_000 };
  const log = deps.logger.child({ shard: req.shard, recovery: `${req.master.id} -> ${req.candidate.id}` });
  const opened: MysqlAdmin[] = [];
  const dns = await deps.openDns();
  try {
    const master = await deps.connect(ep(req.master), TIMEOUTS);
    opened.push(master);
    const candidate = await deps.connect(ep(req.candidate), TIMEOUTS);
    opened.push(candidate);
    const leaseName = `switchover:${req.shard}`;
    await ensureLeaseTable(dns, q);
    const stale = await readLease(dns, leaseName, q);
    if (stale && stale.remainingMs > 0 && isOwnDeadHolder(stale.holder, deps.actor, processAlive)) {
      log.warn({ holder: stale.holder }, 'releasing the switchover lease of a run whose process is gone');
      await releaseLease(dns, leaseName, stale.holder, stale.token, q);
    }
    const [masterRole, candidateRole] = await Promise.all([master.role(), candidate.role()]);
    if (candidateRole === 'writer' && masterRole === 'writer') {
      throw new SafetyRefusal('SPLIT_BRAIN', `both ${req.master.id} and ${req.candidate.id} of ${req.shard} are writable`, {
        next: 'decide which one is the master, make the other read-only by hand, and compare their data before resuming',
      });
    }
    if (candidateRole !== 'writer' && (masterRole !== 'reader' || !interrupted)) return 'clean';
    // From here recovery acts: under the switchover lease, so a live run (another terminal) is refused.
    const holder = `${deps.actor}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const lease = await acquireOrRenew(dns, leaseName, holder, 120_000, q);
    if (!lease.held) throw new SafetyRefusal('SWITCHOVER_IN_PROGRESS', `another switchover of ${req.shard} is running (${lease.holder})`, { next: 'let it finish; resume afterwards' });
    try {
      let promoted = candidateRole === 'writer';
      if (!promoted) {
        const st = await candidate.replicaStatus();
        const [masterPos, candidatePos] = await Promise.all([gtidPosition(master), candidate.appliedGtid()]);
        if (st === null && dialectOf(candidate).gtidCovers(candidatePos, masterPos)) {
          // the dead run had reset the candidate's replication but not yet made it writable
          log.warn({ master: masterPos, candidate: candidatePos }, 'the candidate had left replication with everything applied: finishing its promotion');
          await candidate.setReadOnly(false);
          promoted = true;
        } else if (st === null) {
          throw new SafetyRefusal('CANDIDATE_DETACHED', `${req.candidate.id} no longer replicates and has applied ${candidatePos || 'nothing'}, not all of ${req.master.id}'s ${masterPos}`, {
            next: 'attach it to the old master again by hand (GTID replication from what it has applied), make the old master writable, then resume',
          });
        }
      }
      if (promoted) {
        log.warn('the candidate was promoted by an interrupted run: finishing the steps after the promotion');
        const finalGtid = await gtidPosition(master);
        await moveWriterRecord(req, deps, dns, q, leaseName, holder, lease.token);
        await detachCandidate(candidate);
        await endConnections(master, req.appUsers);
        await repointReplicas(req, deps, finalGtid);
        await oldMasterFollows(req, master);
        return 'completed';
      }
      const writer = await listRecords(dns, req.zone, req.writerName, q);
      if (writer.records.length !== 1 || writer.records[0]?.address !== req.master.host) {
        throw new SafetyRefusal('WRITER_RECORD_ELSEWHERE', `${req.writerName} points at ${writer.records.map((r) => r.address).join(', ') || 'nothing'}, and neither ${req.master.id} nor ${req.candidate.id} is writable`);
      }
      log.warn('the old master was left read-only by an interrupted switchover before the promotion: making it writable again');
      await master.setReadOnly(false);
      return 'unblocked';
    } finally {
      await releaseLease(dns, leaseName, holder, lease.token, q).catch(() => undefined);
    }
  } finally {
    await Promise.all([...opened.map((a) => a.close()), dns.close()].map((p) => p.catch(() => undefined)));
  }
}
