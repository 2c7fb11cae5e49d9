import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import type { Endpoint, MysqlAdmin, Timeouts } from '../../src/mysql/admin.js';
import { onlineSwitchover, type SwitchoverDeps, type SwitchoverMember, type SwitchoverRequest } from '../../src/shard/switchover/online-switchover.js';
import { recoverInterruptedSwitchover } from '../../src/shard/switchover/recover-switchover.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { dbfleet } from '../support/cli.js';
import { TEST_ENGINES, clientOf } from '../support/engines.js';
import { replicationSql } from '../support/replication-sql.js';
import { withWriter } from '../support/writer-fixture.js';

// A sandbox cluster stands for one shard: a master and two replicas (real mariadbd, or real
// mysqld 9.7), MyDNS, PowerDNS. Every move runs with a writer through the writer record, and
// every write it had acknowledged must be on the master afterwards.
const S = 'aurora-test-1';
const ACTOR = 'test-switchover'; // the crash child's too: recovery releases only our own dead run's lease

describe.each(TEST_ENGINES)('online switchover of a shard master (%s)', (engine) => {
  let fx: SandboxFixture;
  let m: SwitchoverMember[];
  const sql = replicationSql(engine);

  function request(master: SwitchoverMember, candidate: SwitchoverMember, replicas: SwitchoverMember[], extra: Partial<SwitchoverRequest> = {}): SwitchoverRequest {
    return {
      shard: S,
      writerName: `${S}-w`,
      readerName: `${S}-r`,
      zone: fx.config.dns.zone,
      master,
      candidate,
      replicas,
      admin: { user: 'dbfleet', password: fx.passwords.dbfleet },
      repl: { user: 'repl', password: fx.passwords.repl },
      appUsers: ['app'],
      // a busy CI machine can show a second or two of lag; the lag refusal test sets its own limit
      maxLagSeconds: 5,
      ...extra,
    };
  }

  function deps(connect: SwitchoverDeps['connect'] = connectAdmin): SwitchoverDeps {
    return { connect, openDns: () => openSession(fx.dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 }), logger: silentLogger, actor: ACTOR };
  }

  const readOnly = (id: string): Promise<string> => fx.sql(id, 'SELECT @@read_only');
  const admin = (member: SwitchoverMember): Promise<MysqlAdmin> => connectAdmin({ host: member.host, port: member.port, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });

  async function expectFollows(members: SwitchoverMember[], source: SwitchoverMember): Promise<void> {
    for (const member of members) {
      const a = await admin(member);
      try {
        const st = await eventually(`${member.id} replicating from ${source.id}`, async () => {
          const r = await a.replicaStatus();
          return r && r.ioRunning === 'yes' && r.sqlRunning ? r : undefined;
        });
        expect(st.sourceHost, member.id).toBe(source.host);
      } finally {
        await a.close();
      }
    }
  }

  /**
   * A write statement running on `member` until released: an UPDATE waiting for a row lock that an
   * idle transaction holds. It holds the global read lock's intention lock as any running write
   * does, so SET GLOBAL read_only = 1 waits for it; released, it commits and replicates.
   */
  async function slowWrite(member: SwitchoverMember): Promise<{ release: () => Promise<void> }> {
    await fx.sql(member.id, 'CREATE TABLE IF NOT EXISTS app.slow (id INT PRIMARY KEY, v INT NOT NULL); INSERT IGNORE INTO app.slow VALUES (1, 0)');
    const ep = { host: member.host, port: member.port, user: 'dbfleet', password: fx.passwords.dbfleet, database: 'app' };
    const t = { connectTimeoutMs: 2_000, queryTimeoutMs: 120_000 };
    const [holder, writer] = [await openSession(ep, t), await openSession(ep, t)];
    await holder.query('BEGIN');
    await holder.query('SELECT v FROM app.slow WHERE id = 1 FOR UPDATE');
    await writer.query('SET SESSION innodb_lock_wait_timeout = 100');
    const update = writer.query('UPDATE app.slow SET v = v + 1 WHERE id = 1');
    update.catch(() => undefined);
    return {
      release: async () => {
        await holder.query('ROLLBACK');
        await update;
        await Promise.all([holder.close(), writer.close()]);
      },
    };
  }
  /** The running slow UPDATE's age on `member` in seconds, or null when none runs. */
  async function slowAge(member: SwitchoverMember): Promise<number | null> {
    const rows = await fx.sql(member.id, "SELECT time FROM information_schema.processlist WHERE info LIKE 'UPDATE app.slow%'");
    return rows === '' ? null : Number(rows);
  }
  async function candidateReplication(member: SwitchoverMember): Promise<unknown> {
    const a = await admin(member);
    try {
      return await a.replicaStatus();
    } finally {
      await a.close();
    }
  }

  /** Runs the switchover in a child process that SIGKILLs itself right after `phase`. */
  function crashAfter(req: SwitchoverRequest, phase: string): Promise<NodeJS.Signals | null> {
    const { admin: _a, repl: _r, ...withoutSecrets } = req;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test', 'support', 'switchover-crash-child.ts'), fx.dir, JSON.stringify(withoutSecrets), phase], { stdio: ['ignore', 'ignore', 'inherit'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('exit', (_code, signal) => {
        clearTimeout(timer);
        resolve(signal);
      });
    });
  }

  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 2, silentLogger, { engine });
    const state = await fx.state();
    m = state.clusters[0]!.instances.map((i) => ({ id: i.id, host: i.host, port: i.port }));
  }, 120_000);

  afterAll(async () => {
    await fx?.down();
  });

  it('refuses when the candidate lags, changing nothing', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    await fx.sql(candidate.id, sql.delay(30));
    try {
      await fx.sql(master.id, "INSERT INTO app.writes (client, seq) VALUES ('lag', 1)");
      // wait until the candidate itself reports lag above the 1 s limit
      const c = await admin(candidate);
      try {
        await eventually('candidate behind', async () => ((await c.replicaStatus())?.secondsBehind ?? 0) > 1, 10_000, 100);
      } finally {
        await c.close();
      }
      const err = await onlineSwitchover(request(master, candidate, [other], { maxLagSeconds: 1 }), deps()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CANDIDATE_LAGS' });
      expect(await readOnly(master.id)).toBe('0');
      expect(await fx.writerRecord(S)).toEqual([master.host]);
    } finally {
      await fx.sql(candidate.id, sql.delay(0));
    }
  });

  it('refuses when replication is broken, changing nothing', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    await fx.sql(candidate.id, sql.stopIoThread);
    try {
      const err = await onlineSwitchover(request(master, candidate, [other]), deps()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REPLICATION_BROKEN' });
      expect(String((err as Error).message)).toMatch(/io=no/);
      expect(await readOnly(master.id)).toBe('0');
    } finally {
      await fx.sql(candidate.id, sql.startIoThread);
    }
  });

  it('refuses a candidate holding a transaction of its own (errant), naming it, changing nothing', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    // logged on `other` alone, in a table nothing else writes: its GTID exists nowhere else
    await fx.sql(other.id, sql.loggedWrite('CREATE TABLE app.errant_probe (id INT PRIMARY KEY)').join('; '));
    const err = await onlineSwitchover(request(master, other, [candidate]), deps()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERRANT_TRANSACTIONS' });
    expect(String((err as Error).message)).toMatch(/has transactions the master does not: \S+/);
    expect(await readOnly(master.id)).toBe('0');
    expect(await fx.writerRecord(S)).toEqual([master.host]);
  });

  it('undoes the write block when a step before the promotion fails', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    // Fault injection on a real connection: the candidate's wait for the final position fails.
    const flaky = async (e: Endpoint, t: Timeouts): Promise<MysqlAdmin> => {
      const a = await connectAdmin(e, t);
      if (e.host !== candidate.host) return a;
      return new Proxy(a, { get: (target, p) => (p === 'waitForGtid' ? () => Promise.reject(new Error('injected: the candidate cannot wait for the final position')) : Reflect.get(target, p)) });
    };
    const { result, lost } = await withWriter(fx, S, () => onlineSwitchover(request(master, candidate, [other]), deps(flaky)).catch((e: unknown) => e), { intervalMs: 5 });
    expect(String(result), String(result)).toMatch(/injected/);
    expect(lost).toBe(0);
    expect(await readOnly(master.id)).toBe('0');
    expect(await fx.writerRecord(S)).toEqual([master.host]);
    expect(await fx.sql(candidate.id, 'SELECT @@read_only')).toBe('1');
    await expectFollows([candidate, other], master);
  });

  it('refuses while a write statement that read_only would wait for has run on the master longer than the limit, naming it, changing nothing', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const slow = await slowWrite(master);
    try {
      await eventually('the slow UPDATE running for a second', async () => ((await slowAge(master)) ?? 0) >= 1, 10_000, 50);
      const err = await onlineSwitchover(request(master, candidate, [other], { longStatementSeconds: 1 }), deps()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LONG_STATEMENT' });
      expect(String((err as Error).message)).toMatch(/thread \d+ \(dbfleet\) has been running an UPDATE on \S+ for \d+ s; read_only waits for it/);
      expect(String((err as Error).message)).not.toContain('SLEEP');
      expect(await readOnly(master.id)).toBe('0');
      expect(await fx.writerRecord(S)).toEqual([master.host]);
    } finally {
      await slow.release();
    }
  });

  it('backs out after its bounded attempts when read_only waits behind a running write the precheck let pass: the master is left writable, nothing lost', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const slow = await slowWrite(master);
    try {
      await eventually('the slow UPDATE running', async () => (await slowAge(master)) !== null, 10_000, 20);
      // a limit above the statement's age: the precheck lets it pass, and read_only = 1 waits for it
      const logs: string[] = [];
      const d: SwitchoverDeps = { ...deps(), logger: createLogger({ level: 'warn', destination: { write: (line: string) => void logs.push(line) } }) };
      const { result: err, lost } = await withWriter(fx, S, () => onlineSwitchover(request(master, candidate, [other], { longStatementSeconds: 60, blockWritesTimeoutSeconds: 1 }), d).catch((e: unknown) => e), { intervalMs: 5 });
      expect(String(err)).toMatch(/Lock wait timeout exceeded/);
      // each attempt ended by the server at its bound, tried again twice, then backed out
      expect(logs.filter((l) => l.includes('read_only = 1 waited behind a running write until the lock wait bound: trying again'))).toHaveLength(2);
      expect(lost).toBe(0);
      // backed out while the UPDATE still runs: the server gave up on read_only = 1 at its bound
      expect(await slowAge(master)).not.toBeNull();
      expect(await readOnly(master.id)).toBe('0');
      expect(await fx.writerRecord(S)).toEqual([master.host]);
      expect(await readOnly(candidate.id)).toBe('1');
    } finally {
      await slow.release();
    }
    // and it stays writable once the UPDATE ends: the timed-out read_only = 1 did not take effect late
    expect(await readOnly(master.id)).toBe('0');
    await expectFollows([candidate, other], master);
  });

  it('undoes the block on a fresh connection when the master session itself broke after blocking writes', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    let first = true;
    const breaking = async (e: Endpoint, t: Timeouts): Promise<MysqlAdmin> => {
      const a = await connectAdmin(e, t);
      if (e.host !== master.host || !first) return a;
      first = false; // only the switchover's own master session breaks; the undo's fresh one works
      return new Proxy(a, {
        get: (target, p) =>
          p === 'writeFence'
            ? () => {
                target.session.destroy();
                return Promise.reject(new Error('injected: connection to the master lost'));
              }
            : Reflect.get(target, p),
      });
    };
    const err = await onlineSwitchover(request(master, candidate, [other]), deps(breaking)).catch((e: unknown) => e);
    expect(String(err)).toMatch(/injected: connection to the master lost/);
    expect(await readOnly(master.id)).toBe('0');
    expect(await fx.writerRecord(S)).toEqual([master.host]);
  });

  // the promotion's last check reads the dialect's "fully read-only" variable: on MySQL a lowered
  // super_read_only alone (read_only still 1) lets privileged users write to the old master again
  it(`refuses the promotion when the old master was unblocked during the switch (${engine === 'mysql' ? 'super_read_only lowered, read_only still 1' : 'read_only lowered'}), undoing the block; nothing lost`, async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const socket = (await fx.instance(master.id)).socket;
    const unblock = engine === 'mysql' ? 'SET GLOBAL super_read_only = 0' : 'SET GLOBAL read_only = 0';
    let unblocked = false;
    const d: SwitchoverDeps = {
      ...deps(),
      // synchronous, as the switchover calls it between two phases: writes blocked, the candidate caught up
      failpoint: (point) => {
        if (point !== `${S}:candidate-caught-up`) return;
        execFileSync(clientOf(engine), ['--no-defaults', '-uroot', '-S', socket, '-e', unblock], { timeout: 10_000 });
        unblocked = true;
      },
    };
    const { result: err, lost } = await withWriter(fx, S, () => onlineSwitchover(request(master, candidate, [other]), d).catch((e: unknown) => e), { intervalMs: 5 });
    expect(unblocked).toBe(true);
    expect(err).toMatchObject({ code: 'MASTER_MOVED_DURING_SWITCH' });
    expect(String((err as Error).message)).toMatch(/is no longer fully read-only at /);
    expect(lost).toBe(0);
    // nothing switched: the old master writable again (undone), the candidate still a read-only replica
    expect(await readOnly(master.id)).toBe('0');
    expect(await fx.writerRecord(S)).toEqual([master.host]);
    expect(await readOnly(candidate.id)).toBe('1');
    await expectFollows([candidate, other], master);
  });

  it('switches the master with a writer running: no acknowledged write lost, replicas follow, old master replicates', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const { result: report, lost, acknowledged, maxWindowMs } = await withWriter(fx, S, () => onlineSwitchover(request(master, candidate, [other]), deps()), { intervalMs: 5 });
    expect(lost).toBe(0);
    expect(acknowledged).toBeGreaterThan(20);
    expect(report.phases.map((p) => p.phase)).toEqual(['precheck', 'block-writes', 'final-position', 'candidate-caught-up', 'promote', 'move-writer-record', 'detach-candidate', 'end-old-connections', 'repoint-replicas', 'old-master-follows']);
    expect(report.phases.every((p) => p.outcome === 'ok')).toBe(true);
    console.log(`switchover (${engine}): writes blocked ${report.writeBlockedMs} ms, writer record moved at ${report.recordMovedMs} ms by the executor's clock; longest client write gap ${maxWindowMs} ms`);
    // the client-visible block ends when the new master accepts writes, before the record moves
    expect(report.writeBlockedMs).toBeLessThanOrEqual(report.recordMovedMs);
    expect(await candidateReplication(candidate)).toBeNull();
    expect(await fx.writerRecord(S)).toEqual([candidate.host]);
    expect(await readOnly(candidate.id)).toBe('0');
    expect(await readOnly(master.id)).toBe('1');
    await expectFollows([master, other], candidate);
  });

  it('rolls back by switching again the other way, with the same guarantees', async () => {
    const [oldMaster, current, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const { lost } = await withWriter(fx, S, () => onlineSwitchover(request(current, oldMaster, [other]), deps()), { intervalMs: 5 });
    expect(lost).toBe(0);
    expect(await fx.writerRecord(S)).toEqual([oldMaster.host]);
    expect(await readOnly(oldMaster.id)).toBe('0');
    expect(await readOnly(current.id)).toBe('1');
    await expectFollows([current, other], oldMaster);
  });

  it('dbfleet shard switchover: refuses bad input with exit 2, switches with a writer running and the phases in its JSON; nothing lost', async () => {
    const config = `${fx.dir}/fleet.yaml`;
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const bad = await dbfleet(['shard', 'switchover', S, '--to', 'no-such-instance', '--config', config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to no-such-instance is not an instance of aurora-test-1/);
    const already = await dbfleet(['shard', 'switchover', S, '--to', master.id, '--config', config]);
    expect(already.code).toBe(2);
    expect(already.stderr).toMatch(/already the master/);
    const run = await withWriter(fx, S, () => dbfleet(['shard', 'switchover', S, '--to', candidate.id, '--config', config, '--json']), { intervalMs: 5 });
    const ok = run.result;
    expect(ok.code, ok.stderr).toBe(0);
    expect(run.lost).toBe(0);
    expect(run.acknowledged).toBeGreaterThan(20);
    const report = JSON.parse(ok.stdout) as { from: string; to: string; writeBlockedMs: number; phases: { phase: string; outcome: string }[] };
    expect(report).toMatchObject({ from: master.id, to: candidate.id });
    expect(report.phases).toHaveLength(10);
    expect(await fx.writerRecord(S)).toEqual([candidate.host]);
    await expectFollows([master, other], candidate);
  });

  it('after a crash with writes blocked: recovery refuses to guess without the journal, then lifts the dead run\'s block, and the switch runs; nothing lost', async () => {
    // the CLI test above left m[1] the master
    const [oldMaster, master, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const req = request(master, oldMaster, [other]);
    const run = await withWriter(fx, S, async () => {
      expect(await crashAfter(req, 'block-writes')).toBe('SIGKILL');
      // the dead run left the master read-only and the writer record where it was
      expect(await readOnly(master.id)).toBe('1');
      expect(await fx.writerRecord(S)).toEqual([master.host]);
      // without the journal's word that our run was interrupted, a read-only master is not ours to unblock
      expect(await recoverInterruptedSwitchover(req, deps(), false)).toBe('clean');
      expect(await onlineSwitchover(req, deps()).catch((e: unknown) => e)).toMatchObject({ code: 'MASTER_READ_ONLY' });
      expect(await readOnly(master.id)).toBe('1');
      expect(await recoverInterruptedSwitchover(req, deps(), true)).toBe('unblocked');
      expect(await readOnly(master.id)).toBe('0');
      return onlineSwitchover(req, deps());
    }, { intervalMs: 5 });
    expect(run.lost).toBe(0);
    expect(run.result.to).toBe(oldMaster.id);
    expect(await fx.writerRecord(S)).toEqual([oldMaster.host]);
    await expectFollows([master, other], oldMaster);
  });

  it('after a crash right after the promotion: recovery finishes the later steps from what the servers say; nothing lost', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const req = request(master, candidate, [other]);
    const run = await withWriter(fx, S, async () => {
      expect(await crashAfter(req, 'promote')).toBe('SIGKILL');
      // promoted, but the writer record still names the old master (read-only now)
      expect(await readOnly(candidate.id)).toBe('0');
      expect(await readOnly(master.id)).toBe('1');
      expect(await fx.writerRecord(S)).toEqual([master.host]);
      return recoverInterruptedSwitchover(req, deps(), true);
    }, { intervalMs: 5 });
    expect(run.result).toBe('completed');
    expect(run.lost).toBe(0);
    expect(await fx.writerRecord(S)).toEqual([candidate.host]);
    expect(await readOnly(master.id)).toBe('1');
    await expectFollows([master, other], candidate);
    // the new master no longer replicates from the old one: the two do not form a ring
    expect(await candidateReplication(candidate)).toBeNull();
    // once more: every step finds its work done, and nothing changes
    expect(await recoverInterruptedSwitchover(req, deps(), true)).toBe('completed');
    expect(await fx.writerRecord(S)).toEqual([candidate.host]);
    await expectFollows([master, other], candidate);
  });

  // A run killed between a follower's CHANGE to the new master and its START: the follower names
  // the new master but replicates nothing. Recovery must start it, not take it as done.
  it('after a crash between a follower\'s change of source and its start: recovery starts the replica and the old master; nothing lost', async () => {
    // the previous test left `candidate` the master: switch back to `master` this time
    const [oldMaster, promoted, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const req = request(promoted, oldMaster, [other]);
    const run = await withWriter(fx, S, async () => {
      expect(await crashAfter(req, 'promote')).toBe('SIGKILL');
      // the state such a kill leaves, made by hand: both followers point at the new master, stopped
      const target = { host: oldMaster.host, port: oldMaster.port, user: 'repl', password: fx.passwords.repl };
      const [o, p] = [await admin(other), await admin(promoted)];
      try {
        await o.waitForGtid((await p.binlogPosition()).gtidSet ?? '', 10_000);
        await o.stopReplica();
        await o.changeSource({ kind: 'gtid', ...target });
        await p.changeSourceFromOwnBinlog(target);
        for (const a of [o, p]) expect(await a.replicaStatus()).toMatchObject({ sourceHost: oldMaster.host, ioRunning: 'no', sqlRunning: false });
      } finally {
        await Promise.all([o.close(), p.close()]);
      }
      return recoverInterruptedSwitchover(req, deps(), true);
    }, { intervalMs: 5 });
    expect(run.result).toBe('completed');
    expect(run.lost).toBe(0);
    expect(await fx.writerRecord(S)).toEqual([oldMaster.host]);
    await expectFollows([promoted, other], oldMaster);
  });

  it('a promotion whose clean-up fails says so (SWITCHOVER_INCOMPLETE, writes open on the new master, old master not made to follow), and the run again finishes it; nothing lost', async () => {
    // the previous test left m[0] the master
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const req = request(master, candidate, [other]);
    const flaky = async (e: Endpoint, t: Timeouts): Promise<MysqlAdmin> => {
      const a = await connectAdmin(e, t);
      if (e.host !== candidate.host) return a;
      return new Proxy(a, { get: (target, p) => (p === 'stopReplica' ? () => Promise.reject(new Error('injected: STOP REPLICA failed')) : Reflect.get(target, p)) });
    };
    const run = await withWriter(fx, S, () => onlineSwitchover(req, deps(flaky)).catch((e: unknown) => e), { intervalMs: 5 });
    expect(run.lost).toBe(0);
    expect(run.result).toMatchObject({ code: 'SWITCHOVER_INCOMPLETE' });
    expect(String((run.result as Error).message)).toMatch(/is the master of aurora-test-1 now, but .*injected: STOP REPLICA failed.*was not made to follow it/);
    // writes open on the new master only, the record moved; the old master read-only, not following the new one
    expect(await readOnly(candidate.id)).toBe('0');
    expect(await readOnly(master.id)).toBe('1');
    expect(await fx.writerRecord(S)).toEqual([candidate.host]);
    expect(await candidateReplication(candidate)).toMatchObject({ sourceHost: master.host });
    expect((run.result as { next?: string }).next).toContain(`run dbfleet shard switchover ${S} --to ${candidate.id} again`);
    // what the error's next step says: the same command again finds the promotion and finishes its later steps
    const again = await withWriter(fx, S, () => dbfleet(['shard', 'switchover', S, '--to', candidate.id, '--config', `${fx.dir}/fleet.yaml`, '--json']), { intervalMs: 5 });
    expect(again.result.code, again.result.stderr).toBe(0);
    expect(JSON.parse(again.result.stdout)).toEqual({ shard: S, from: master.id, to: candidate.id, finished: 'completed' });
    expect(again.lost).toBe(0);
    expect(await candidateReplication(candidate)).toBeNull();
    await expectFollows([master, other], candidate);
  });
});
