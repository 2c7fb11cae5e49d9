import { applyChangeSet, listRecords } from '../../dns/record-store.js';
import type { RecordOp } from '../../dns/change-set.js';
import type { Endpoint, MysqlAdmin, ReplicaStatus, SqlSession, Timeouts } from '../../mysql/admin.js';
import { leaseFence } from '../../failover/lease/lease-store.js';
import { dialectOf, runStatement } from '../engine/admin-dialect.js';
import type { SwitchoverDeps, SwitchoverMember, SwitchoverRequest } from './online-switchover.js';

export const TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 };

/*
 * The steps after a promotion, shared by the switchover and by the recovery of a switchover a
 * crash interrupted: each one leaves alone what is already done, so running it twice is safe.
 */

const ep = (req: SwitchoverRequest, m: SwitchoverMember): Endpoint => ({ host: m.host, port: m.port, user: req.admin.user, password: req.admin.password });

/**
 * Moves the writer record (and the two reader weights) in one fenced compare-and-swap change set.
 * A record that already names the candidate (a checker got there first) is success; other
 * failures are retried on a fresh session.
 */
export async function moveWriterRecord(req: SwitchoverRequest, deps: SwitchoverDeps, dns: SqlSession, q: { timeoutMs: number }, leaseName: string, holder: string, token: number): Promise<void> {
  let last: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const session = attempt === 1 ? dns : await deps.openDns();
    try {
      const writer = await listRecords(session, req.zone, req.writerName, q);
      const reader = await listRecords(session, req.zone, req.readerName, q);
      const ops: RecordOp[] = [];
      if (writer.records[0]?.address !== req.candidate.host) ops.push({ op: 'replace-writer', name: req.writerName, expect: { address: req.master.host }, address: req.candidate.host });
      const weight = (addr: string): number | undefined => reader.records.find((r) => r.address === addr)?.weight;
      const cw = weight(req.candidate.host);
      if (cw !== undefined && cw !== 0) ops.push({ op: 'set-weight', name: req.readerName, address: req.candidate.host, expect: { weight: cw }, weight: 0 });
      const mw = weight(req.master.host);
      if (mw !== undefined && mw !== (req.readerWeight ?? 100)) ops.push({ op: 'set-weight', name: req.readerName, address: req.master.host, expect: { weight: mw }, weight: req.readerWeight ?? 100 });
      if (ops.length === 0) return;
      await applyChangeSet(session, req.zone, ops, { actor: deps.actor, why: `online switchover of ${req.shard}: ${req.master.id} -> ${req.candidate.id}`, fence: leaseFence(leaseName, holder, token, q) }, { timeoutMs: 5_000 });
      return;
    } catch (e) {
      last = e;
    } finally {
      if (session !== dns) await session.close().catch(() => undefined);
    }
  }
  throw last;
}

/**
 * The new master leaves replication from the old one. It has applied everything (the old master
 * was read-only at the final position it waited for), so this only cleans up; a run killed
 * between the STOP and the RESET is finished here.
 */
export async function detachCandidate(candidate: MysqlAdmin): Promise<void> {
  if ((await candidate.replicaStatus()) === null) return;
  await candidate.stopReplica();
  await candidate.resetReplicaAll();
}

/** Ends the application users' connections on the old master, so pooled clients reconnect through DNS. */
export async function endConnections(master: MysqlAdmin, users: readonly string[]): Promise<number> {
  if (users.length === 0) return 0;
  const rows = await master.session.query(`SELECT id FROM information_schema.processlist WHERE user IN (${users.map(() => '?').join(', ')}) AND id <> CONNECTION_ID()`, [...users]);
  let n = 0;
  for (const r of rows) {
    try {
      await runStatement(master, dialectOf(master).killConnection(Number(r['id'])));
      n += 1;
    } catch {
      // it ended by itself meanwhile
    }
  }
  return n;
}

/** A replication thread stopped (not running, not connecting): START REPLICA starts it (an error stays in the status for the checks after). */
function stopped(st: ReplicaStatus): boolean {
  return st.ioRunning === 'no' || !st.sqlRunning;
}

/** The shard's other replicas follow the new master, once they have applied the old master's last write. */
export async function repointReplicas(req: SwitchoverRequest, deps: SwitchoverDeps, finalGtid: string): Promise<void> {
  await Promise.all(
    req.replicas.map(async (r) => {
      const a = await deps.connect(ep(req, r), TIMEOUTS);
      try {
        const st = await a.replicaStatus();
        if (st && st.sourceHost === req.candidate.host && st.sourcePort === req.candidate.port) {
          // repointed already; a run killed between the CHANGE and the START left it stopped
          if (stopped(st)) await a.startReplica();
          return;
        }
        await a.waitForGtid(finalGtid, 10_000);
        await a.stopReplica();
        await a.changeSource({ kind: 'gtid', host: req.candidate.host, port: req.candidate.port, user: req.repl.user, password: req.repl.password });
        await a.startReplica();
      } finally {
        await a.close();
      }
    }),
  );
}

/** The rollback path: the old master replicates from the new one, read-only. */
export async function oldMasterFollows(req: SwitchoverRequest, master: MysqlAdmin): Promise<void> {
  const st = await master.replicaStatus();
  if (st && st.sourceHost === req.candidate.host && st.sourcePort === req.candidate.port) {
    if (stopped(st)) await master.startReplica();
    return;
  }
  // everything it has is in its own binary log (MariaDB starts from @@gtid_binlog_pos; MySQL's auto-position from gtid_executed)
  await master.changeSourceFromOwnBinlog({ host: req.candidate.host, port: req.candidate.port, user: req.repl.user, password: req.repl.password });
  await master.startReplica();
}
