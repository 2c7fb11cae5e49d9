import { StateError } from '../../core/errors.js';
import type { Endpoint, MysqlAdmin, Timeouts } from '../../mysql/admin.js';
import { dialectOf } from '../engine/admin-dialect.js';

export interface AttachOptions {
  target: Endpoint;
  master: { host: string; port: number };
  repl: { user: string; password: string };
  /** The GTID position the seed is consistent with (from seedFromReplica). */
  startGtid: string;
  catchUpTimeoutMs: number;
  /** Progress while catching up: seconds behind, GTID applied, and transactions behind (the dialect's count). */
  onProgress?: (p: { secondsBehind: number | null; applied: string; behind: number | null }) => void;
}

/**
 * Makes a seeded mysqld a replica of the shard's current master from the seed's position and waits
 * until it has applied everything the master had when the wait began.
 */
export async function attachAndCatchUp(connect: (e: Endpoint, t: Timeouts) => Promise<MysqlAdmin>, o: AttachOptions): Promise<{ caughtUpTo: string }> {
  const t = await connect(o.target, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
  let m: MysqlAdmin;
  try {
    m = await connect({ ...o.target, host: o.master.host, port: o.master.port }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
  } catch (e) {
    await t.close().catch(() => undefined);
    throw e;
  }
  try {
    await t.setReadOnly(true);
    const now = await t.replicaStatus();
    if (now && now.sourceHost === o.master.host && now.sourcePort === o.master.port) {
      // attached already (a resumed run): going back to the seed's position would apply twice
      if (now.ioRunning !== 'yes' || !now.sqlRunning) await t.startReplica();
    } else {
      const source = { host: o.master.host, port: o.master.port, user: o.repl.user, password: o.repl.password };
      const d = dialectOf(t);
      if (d.gtidStartFromOwnBinlog) {
        // MariaDB: the replica starts from gtid_slave_pos, which the seed's position sets
        await t.changeSource({ kind: 'gtid', ...source, startGtid: o.startGtid });
      } else {
        // MySQL: the seed itself left gtid_executed at its position (gtid_purged of the dump or the
        // clone); auto-position starts from there. A copy elsewhere would fetch the wrong history.
        const applied = await t.appliedGtid();
        if (!d.sameGtids(applied, o.startGtid)) {
          throw new StateError('SEED_POSITION_MISMATCH', `${o.target.host}:${o.target.port} holds ${applied || 'no GTIDs'}, not the seed's position ${o.startGtid || '(empty)'}`, {
            next: 'copy it again: stop that mysqld, remove its directory, then apply --resume --redo-from <shard>/provision',
          });
        }
        await t.changeSource({ kind: 'gtid', ...source });
      }
      await t.startReplica();
    }
    const target = (await m.binlogPosition()).gtidSet ?? '';
    const deadline = Date.now() + o.catchUpTimeoutMs;
    for (;;) {
      const step = Math.min(1_000, Math.max(1, deadline - Date.now()));
      try {
        await t.waitForGtid(target, step);
        return { caughtUpTo: target };
      } catch (e) {
        if (Date.now() >= deadline) throw e;
        const s = await t.replicaStatus();
        const applied = s?.gtidExecuted ?? '';
        o.onProgress?.({ secondsBehind: s?.secondsBehind ?? null, applied, behind: dialectOf(m).gtidsBehind(target, applied) });
        if (s && (s.lastSqlErrno !== 0 || (s.ioRunning === 'no' && s.lastIoErrno !== 0))) throw e;
      }
    }
  } finally {
    await Promise.all([t.close(), m.close()].map((p) => p.catch(() => undefined)));
  }
}
