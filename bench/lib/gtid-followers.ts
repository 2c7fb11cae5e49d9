/**
 * Between the measured switches of the side-by-side benchmark: puts (after MHA) and checks (after
 * either tool) the shape dbfleet's switchover expects: the master writable with no replication of
 * its own, every other instance read-only and replicating from it by GTID, caught up with it.
 *
 * MHA 0.58 knows no MariaDB GTID and re-points the replicas and the old master by binlog file and
 * position; `regtid` makes each of them a GTID replica again (MASTER_USE_GTID=slave_pos starting
 * at its own @@gtid_binlog_pos, which with log_slave_updates holds everything it applied: the
 * dialect's changeSourceFromOwnBinlog, as dbfleet's own switchover does for the old master).
 */
import type { Endpoint, MysqlAdmin, Timeouts } from '../../src/mysql/admin.js';
import { asSwitch } from '../../src/mysql/row-values.js';
import { dialectOf, runStatement } from '../../src/shard/engine/admin-dialect.js';

export interface Member {
  id: string;
  host: string;
  port: number;
}

export interface FollowerDeps {
  connect: (e: Endpoint, t: Timeouts) => Promise<MysqlAdmin>;
  admin: { user: string; password: string };
  repl: { user: string; password: string };
}

const T: Timeouts = { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 };

async function withAdmin<R>(d: FollowerDeps, m: Member, work: (a: MysqlAdmin) => Promise<R>): Promise<R> {
  const a = await d.connect({ host: m.host, port: m.port, user: d.admin.user, password: d.admin.password }, T);
  try {
    return await work(a);
  } finally {
    await a.close();
  }
}

/** Each follower still replicating by file/position becomes a GTID replica of `master`. Returns the ids re-pointed. */
export async function regtid(d: FollowerDeps, master: Member, followers: readonly Member[]): Promise<string[]> {
  const done: string[] = [];
  for (const f of followers) {
    await withAdmin(d, f, async (a) => {
      const st = await a.replicaStatus();
      if (!st || st.sourceHost !== master.host || st.sourcePort !== master.port) {
        throw new Error(`${f.id} does not replicate from ${master.id} after the switch (${st ? `source ${st.sourceHost}:${st.sourcePort}` : 'no replication'})`);
      }
      if (st.usingGtid) return;
      await a.stopReplica();
      await a.changeSourceFromOwnBinlog({ host: master.host, port: master.port, user: d.repl.user, password: d.repl.password });
      await a.startReplica();
      done.push(f.id);
    });
  }
  return done;
}

/**
 * Throws unless `master` is writable and replicates from nobody, and every follower is read-only,
 * replicates from it by GTID with both threads running, and has applied everything the master
 * had when the check began.
 */
export async function checkGtidTopology(d: FollowerDeps, master: Member, followers: readonly Member[], timeoutMs = 15_000): Promise<void> {
  const target = await withAdmin(d, master, async (a) => {
    const ro = asSwitch((await runStatement(a, dialectOf(a).readOnlyQuery()))[0]?.['ro'], 'read_only');
    if (ro) throw new Error(`${master.id} is read-only after the switch`);
    const st = await a.replicaStatus();
    if (st) throw new Error(`${master.id} still has replication configured (from ${st.sourceHost}:${st.sourcePort})`);
    return a.appliedGtid();
  });
  await Promise.all(
    followers.map((f) =>
      withAdmin(d, f, async (a) => {
        const deadline = performance.now() + timeoutMs;
        for (;;) {
          const st = await a.replicaStatus();
          const ok = st && st.sourceHost === master.host && st.sourcePort === master.port && st.usingGtid && st.ioRunning === 'yes' && st.sqlRunning;
          if (ok) break;
          if (performance.now() > deadline || (st && st.lastSqlErrno !== 0)) {
            throw new Error(`${f.id} does not replicate from ${master.id} by GTID: ${st ? `source ${st.sourceHost}:${st.sourcePort} gtid=${st.usingGtid} io=${st.ioRunning} sql=${st.sqlRunning} ${st.lastIoError || st.lastSqlError}` : 'no replication'}`);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        const ro = asSwitch((await runStatement(a, dialectOf(a).readOnlyQuery()))[0]?.['ro'], 'read_only');
        if (!ro) throw new Error(`${f.id} is writable but is not the master`);
        await a.waitForGtid(target, timeoutMs);
      }),
    ),
  );
}
