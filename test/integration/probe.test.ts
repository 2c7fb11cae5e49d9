/**
 * `dbfleet probe`, the downtime meter, as an operator runs it (a child process, stopped with
 * Ctrl-C) on a sandbox cluster of each engine: a clean online switchover under it reports nothing
 * lost or split and exits 0; two writable servers taking its writes in turn (the writer record
 * moved back and forth by hand while both accept writes) end with every acknowledged write on the
 * final writer, which the old meter counted as "0 lost", and are reported as split writes, exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import { replaceWriter } from '../../src/dns/record-store.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { onlineSwitchover, type SwitchoverMember } from '../../src/shard/switchover/online-switchover.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { TEST_ENGINES } from '../support/engines.js';

const S = 'aurora-test-1';

interface ProbeJson {
  acknowledged: number;
  lost_writes: number;
  split_writes: number;
  one_sided_writes: number;
  acknowledged_by: Record<string, number>;
  final_writer: string;
  unchecked: { server: string; why: string }[];
}

describe.each(TEST_ENGINES)('dbfleet probe sees lost and split writes (%s)', (engine) => {
  let fx: SandboxFixture;
  let m: SwitchoverMember[];

  /** Starts the probe; `stop()` sends SIGINT (Ctrl-C) and resolves with its exit code and JSON report. */
  function startProbe(): { stop: () => Promise<{ code: number | null; report: ProbeJson | undefined; stderr: string }> } {
    const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'dbfleet.js'), 'probe', '--config', `${fx.dir}/fleet.yaml`, '--cluster', S, '--interval-ms', '20', '--json'], {
      env: { ...process.env, DBFLEET_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return {
      stop: async () => {
        child.kill('SIGINT');
        const code = await exited;
        // never throws: a failure of the test's own steps must not be hidden behind this one
        let report: ProbeJson | undefined;
        try {
          report = JSON.parse(stdout) as ProbeJson;
        } catch {
          report = undefined;
        }
        return { code, report, stderr };
      },
    };
  }
  /** The probe's rows on an instance (all probe runs of this file). */
  const probeRows = async (member: SwitchoverMember): Promise<number> => Number(await fx.sql(member.id, "SELECT COUNT(*) FROM app.writes WHERE client LIKE 'probe-%'"));
  /** Rows the second writer took itself: their ids start at OWN_IDS (the master's replicated rows have small ones). */
  const OWN_IDS = 1_000_000_000;
  const ownRows = async (member: SwitchoverMember): Promise<number> => Number(await fx.sql(member.id, `SELECT COUNT(*) FROM app.writes WHERE client LIKE 'probe-%' AND id >= ${OWN_IDS}`));
  const pointWriterAt = async (from: SwitchoverMember, to: SwitchoverMember): Promise<void> => {
    const s = await openSession(fx.dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 });
    try {
      await replaceWriter(s, fx.config.dns.zone, `${S}-w`, from.host, to.host, { actor: 'test-probe', why: 'a second writer, made on purpose' });
    } finally {
      await s.close();
    }
  };

  beforeAll(async () => {
    fx = await SandboxFixture.up(1, 2, silentLogger, { engine });
    m = (await fx.state()).clusters[0]!.instances.map((i) => ({ id: i.id, host: i.host, port: i.port }));
  }, 120_000);

  afterAll(async () => {
    await fx?.down();
  });

  it('a clean switchover under it: every write on the final writer and on the old one that follows it; exit 0', async () => {
    const [master, candidate, other] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const probe = startProbe();
    const first = await probeRows(master);
    await eventually('probe writes on the master', async () => (await probeRows(master)) >= first + 10, 15_000, 50);
    await onlineSwitchover(
      { shard: S, writerName: `${S}-w`, readerName: `${S}-r`, zone: fx.config.dns.zone, master, candidate, replicas: [other], admin: { user: 'dbfleet', password: fx.passwords.dbfleet }, repl: { user: 'repl', password: fx.passwords.repl }, appUsers: ['app'], maxLagSeconds: 5 },
      { connect: connectAdmin, openDns: () => openSession(fx.dnsEndpoint, { connectTimeoutMs: 1_000, queryTimeoutMs: 5_000 }), logger: silentLogger, actor: 'test-probe' },
    );
    const before = await probeRows(candidate);
    await eventually('probe writes on the new master', async () => (await probeRows(candidate)) >= before + 10, 15_000, 50);
    const { code, report, stderr } = await probe.stop();
    expect(code, stderr).toBe(0);
    if (!report) throw new Error(`the probe printed no report: ${stderr}`);
    expect(report).toMatchObject({ lost_writes: 0, split_writes: 0, one_sided_writes: 0, final_writer: candidate.host, unchecked: [] });
    expect(Object.keys(report.acknowledged_by).sort()).toEqual([master.host, candidate.host].sort());
    expect(report.acknowledged).toBeGreaterThan(20);
  });

  it('two servers taking writes in turn: nothing missing on the final writer, yet the split is reported and the probe exits 1', async () => {
    // the previous test left m[1] the master; m[2] replicates from it
    const [, master, second] = m as [SwitchoverMember, SwitchoverMember, SwitchoverMember];
    const probe = startProbe();
    let result: Awaited<ReturnType<ReturnType<typeof startProbe>['stop']>>;
    try {
      const first = await probeRows(master);
      await eventually('probe writes on the master', async () => (await probeRows(master)) >= first + 10, 15_000, 50);
      // a replica made writable while it still replicates: it receives the master's writes, the master never gets its own
      // (its own rows take ids far above the master's, or the next replicated insert would collide with
      // them and stop its replication; on MariaDB also a GTID domain of their own, or strict mode would)
      const writable = engine === 'mysql' ? 'SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0' : 'SET GLOBAL gtid_domain_id = 9; SET GLOBAL read_only = 0';
      await fx.sql(second.id, `${writable}; SET SESSION sql_log_bin = 0; ALTER TABLE app.writes AUTO_INCREMENT = ${OWN_IDS}`);
      await pointWriterAt(master, second);
      await eventually('writes taken by the second writer', async () => (await ownRows(second)) >= 10, 15_000, 50);
      await pointWriterAt(second, master);
      const onMaster = await probeRows(master);
      await eventually('the master taking writes again', async () => (await probeRows(master)) >= onMaster + 10, 15_000, 50);
      await pointWriterAt(master, second);
      const onSecond = await ownRows(second);
      await eventually('the second writer taking writes again', async () => (await ownRows(second)) >= onSecond + 10, 15_000, 50);
    } finally {
      result = await probe.stop();
    }
    const { code, report, stderr } = result;
    if (!report) throw new Error(`the probe printed no report (exit ${String(code)}): ${stderr}`);
    // the second writer, the final one, holds every acknowledged write (the master's arrived by replication)
    expect(report.lost_writes, `${JSON.stringify(report)} ${stderr}`).toBe(0);
    expect(report.final_writer).toBe(second.host);
    // the master acknowledged writes after the second writer had, without the second writer's
    expect(report.split_writes).toBeGreaterThanOrEqual(10);
    expect(code).toBe(1);
  });
});
