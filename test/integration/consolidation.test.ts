import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { LocalHost } from '../../src/host/local-host.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import type { MysqlAdmin } from '../../src/mysql/admin.js';
import { MysqldManager } from '../../src/shard/mysqld/mysqld-manager.js';
import { accepts } from '../../src/shard/apply/phase-retire.js';
import { SandboxFixture, eventually } from '../support/sandbox-fixture.js';
import { ShardWriters, onServer, valueOn } from '../support/consolidation-writers.js';
import { dbfleet } from '../support/cli.js';
import { TEST_ENGINES } from '../support/engines.js';
import { replicationSql } from '../support/replication-sql.js';
import { withWriter } from '../support/writer-fixture.js';
import { ConsolidationRig, applyKilledIn, applyResume, journalEntries, type ConsolidationSetup } from '../support/consolidation-fixture.js';

// The consolidator end to end on real processes: four sandbox shards (a master and a replica
// each, real mariadbd or real mysqld 9.7) packed onto two target hosts of the same engine reached
// over two real sshd, by the real CLI,
// with a writer on every shard through its writer record the whole time. The apply is SIGKILLed
// inside each kind of phase and resumed; refusals (checksum drift, broken replication, lag) stop
// it with the old master still serving; the end state must be the plan's, with no write lost.

const SHARDS = 4;
const local = new LocalHost();

describe.each(TEST_ENGINES)('shard apply: four shards onto two hosts over sshd (%s)', (engine) => {
  let fx: SandboxFixture;
  let rig: ConsolidationRig | undefined;
  let setup: ConsolidationSetup;
  let writers: ShardWriters | undefined;
  const sql = replicationSql(engine);

  const q = <T>(host: string, work: (a: MysqlAdmin) => Promise<T>): Promise<T> => onServer(fx, host, work);
  const value = (host: string, text: string): Promise<string> => valueOn(fx, host, text);

  /** The plan's new processes of a shard: master first. */
  function targetsOf(shard: string): { host: string; ip: string; serverId: number; role: string }[] {
    const move = setup.plan.moves.find((m) => m.shard === shard);
    if (!move) throw new Error(`no move for ${shard}`);
    return [
      { host: move.to.master.host, ip: move.to.master.ip, serverId: move.to.master.server_id, role: 'master' },
      ...move.to.replicas.map((r) => ({ host: r.host, ip: r.ip, serverId: r.server_id, role: 'replica' })),
    ];
  }
  const fromOf = (shard: string): { master: string; replicas: string[] } => setup.plan.moves.find((m) => m.shard === shard)!.from;

  beforeAll(async () => {
    rig = await ConsolidationRig.up(SHARDS, 'cons', { engine });
    ({ fx, setup } = rig);
  }, 180_000);

  afterAll(async () => {
    await writers?.stop();
    await rig?.down();
  }, 120_000);

  it('plans the four shards onto two hosts, masters spread', () => {
    expect(setup.plan.summary.hosts_after).toBe(2);
    expect(setup.plan.moves).toHaveLength(SHARDS);
    const mastersPerHost = setup.plan.hosts.map((h) => h.processes.filter((p) => p.role === 'master').length);
    expect(mastersPerHost).toEqual([2, 2]);
  });

  it('--dry-run prints every phase with the real addresses and changes nothing', async () => {
    const r = await dbfleet(['shard', 'apply', setup.planFile, '--config', setup.configFile, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    for (const m of setup.plan.moves) {
      for (const p of ['provision', 'seed', 'catch-up', 'verify', 'switchover', 'readers']) expect(r.stdout).toContain(`${m.shard}/${p}`);
      expect(r.stdout).toContain(m.to.master.ip);
    }
    expect(r.stdout.match(/pending/g)?.length).toBe(SHARDS * 6);
    expect(existsSync(setup.journalFile)).toBe(false);
    for (const m of setup.plan.moves) expect(await accepts(m.to.master.ip, 3306)).toBe(false);
  });

  it('refuses a plan that does not fit the config, with exit 2, naming the problem, before touching anything', async () => {
    const bad = JSON.parse(await readFile(setup.planFile, 'utf8')) as typeof setup.plan;
    const step = bad.moves[0]!.steps[0]!;
    if (step.step === 'provision') step.processes[0]!.host = 'db-nowhere';
    const badFile = join(setup.dir, 'bad-plan.json');
    await writeFile(badFile, JSON.stringify(bad));
    const r = await dbfleet(['shard', 'apply', badFile, '--config', setup.configFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('db-nowhere');
    expect(existsSync(`${badFile}.journal`)).toBe(false);
    const noSection = parse(await readFile(setup.configFile, 'utf8')) as Record<string, unknown>;
    delete noSection['consolidation'];
    const noSectionFile = join(setup.dir, 'no-consolidation.yaml');
    await writeFile(noSectionFile, stringify(noSection));
    const r2 = await dbfleet(['shard', 'apply', setup.planFile, '--config', noSectionFile]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('consolidation');
  });

  it(
    'moves every shard with writers running, killed inside each kind of phase and resumed, refusing drift, broken replication and lag; ends as planned with no write lost',
    async () => {
      const shards = setup.plan.moves.map((m) => m.shard);
      writers = new ShardWriters(fx, shards, 'cons');
      await writers.writing();
      const [s1, s2, s3, s4] = shards as [string, string, string, string];

      // crashes inside provision, seed, catch-up and verify of the first shard
      for (const [phase, after] of [
        [`${s1}/provision`, 400],
        [`${s1}/seed`, 300],
      ] as const) {
        const k = await applyKilledIn(setup, phase, { afterMs: after });
        expect(k.killed, `${phase}: ${k.stderr}`).toBe(true);
        const last = (await journalEntries(setup.journalFile)).filter((e) => e.phase === phase).at(-1);
        expect(last?.event, phase).toBe('start');
      }
      // a crash once every copy is seeded, before the journal records the seed's end: the resume
      // copies again (the seed marker stays until catch-up), it does not refuse the copy as unknown data
      const ks = await applyKilledIn(setup, undefined, { failpoint: `${s1}:seeded` });
      expect(ks.killed, ks.stderr).toBe(true);
      expect((await journalEntries(setup.journalFile)).filter((e) => e.phase === `${s1}/seed`).at(-1)?.event).toBe('start');
      const kc = await applyKilledIn(setup, `${s1}/catch-up`, { afterMs: 50 });
      expect(kc.killed, `${s1}/catch-up: ${kc.stderr}`).toBe(true);
      expect((await journalEntries(setup.journalFile)).filter((e) => e.phase === `${s1}/catch-up`).at(-1)?.event).toBe('start');

      // a crash inside verify, both copies at the compared position: the current replica (serving
      // reads) was never stopped, as verify reads it in a consistent snapshot
      const kv = await applyKilledIn(setup, undefined, { failpoint: `${s1}:verify-at-position` });
      expect(kv.killed, kv.stderr).toBe(true);
      expect((await journalEntries(setup.journalFile)).filter((e) => e.phase === `${s1}/verify`).at(-1)?.event).toBe('start');
      expect(await q(fromOf(s1).replicas[0]!, (a) => a.replicaStatus())).toMatchObject({ ioRunning: 'yes', sqlRunning: true });

      // a crash inside the switchover with the old master's writes blocked: the dead run's block stays
      const s1Master = fromOf(s1).master;
      const k5 = await applyKilledIn(setup, undefined, { failpoint: `${s1}:block-writes` });
      expect(k5.killed, k5.stderr).toBe(true);
      expect(await value(s1Master, 'SELECT @@read_only')).toBe('1');
      expect(await value(targetsOf(s1)[0]!.ip, 'SELECT @@read_only')).toBe('1');
      expect(await fx.writerRecord(s1)).toEqual([s1Master]);

      // the next run lifts that block and switches s1; then it crashes right after promoting s2's new master
      const s2Master = fromOf(s2).master;
      const k5b = await applyKilledIn(setup, undefined, { failpoint: `${s2}:promote` });
      expect(k5b.killed, k5b.stderr).toBe(true);
      expect(k5b.stderr).toContain('left read-only by an interrupted switchover before the promotion: making it writable again');
      expect(await fx.writerRecord(s1)).toEqual([targetsOf(s1)[0]!.ip]);
      expect(await value(targetsOf(s2)[0]!.ip, 'SELECT @@read_only')).toBe('0');
      expect(await value(s2Master, 'SELECT @@read_only')).toBe('1');
      expect(await fx.writerRecord(s2)).toEqual([s2Master]);

      // the next run finishes s2's promotion from what the servers say, and dies inside s2's readers phase
      const k6 = await applyKilledIn(setup, `${s2}/readers`);
      expect(k6.killed, k6.stderr).toBe(true);
      expect(k6.stderr).toContain('the candidate was promoted by an interrupted run: finishing the steps after the promotion');
      expect(await fx.writerRecord(s2)).toEqual([targetsOf(s2)[0]!.ip]);
      expect(await q(s2Master, (a) => a.replicaStatus())).toMatchObject({ sourceHost: targetsOf(s2)[0]!.ip });

      // checksum drift on a new copy of the third shard: verify refuses, nothing switches
      const k7 = await applyKilledIn(setup, `${s3}/verify`);
      expect(k7.killed).toBe(true);
      const drifted = targetsOf(s3)[1]!;
      await q(drifted.ip, async (a) => {
        for (const st of sql.unloggedWrite("INSERT INTO app.writes (id, client, seq) VALUES (999999999, 'drift', 1)")) await a.session.query(st);
      });
      const drift = await applyResume(setup);
      expect(drift.code).toBe(1);
      expect(drift.stderr).toContain(`${s3}/verify`);
      expect(drift.stderr).toContain('app.writes');
      expect(drift.stderr).toContain(`--redo-from ${s3}/provision`);
      expect((await fx.writerRecord(s3))[0]).toBe(fromOf(s3).master);
      expect(await value(fromOf(s3).master, 'SELECT @@read_only')).toBe('0');
      // the advice, followed: stop that copy, remove its directory, redo from provision
      const base = setup.baseDirs[drifted.host]!;
      await new MysqldManager(local).kill({ name: s3, baseDir: base, configPath: join(base, 'etc', `my-${s3}.cnf`) });
      await local.remove(join(base, s3));

      // that redo copies it anew; the run then crashes right after the precheck of the fourth shard's switchover
      const k8 = await applyKilledIn(setup, undefined, { failpoint: `${s4}:precheck`, args: ['--redo-from', `${s3}/provision`] });
      expect(k8.killed, k8.stderr).toBe(true);
      expect(await fx.writerRecord(s3)).toEqual([targetsOf(s3)[0]!.ip]);
      expect(await value(drifted.ip, "SELECT COUNT(*) FROM app.writes WHERE client = 'drift'")).toBe('0');

      // broken replication on the fourth shard's new master: the switchover refuses, the master keeps writing
      const s4New = targetsOf(s4)[0]!.ip;
      await q(s4New, (a) => a.session.query(sql.stopSqlThread));
      const broken = await applyResume(setup);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('replication is not healthy: io=yes sql=false');
      expect(await value(fromOf(s4).master, 'SELECT @@read_only')).toBe('0');
      expect((await fx.writerRecord(s4))[0]).toBe(fromOf(s4).master);
      await q(s4New, (a) => a.session.query(sql.startSqlThread));

      // lag: the new master's applier held up by a table lock for a few seconds
      const locker = await openSession({ host: s4New, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 1_000, queryTimeoutMs: 10_000 });
      try {
        await locker.query('LOCK TABLES app.writes READ');
        await eventually('the new master lags', async () => ((await q(s4New, (a) => a.replicaStatus()))?.secondsBehind ?? 0) > 4, 15_000, 100);
        const lag = await applyResume(setup);
        expect(lag.code).toBe(1);
        expect(lag.stderr).toMatch(/is \d+ s behind \(limit 3 s\)/);
        expect(await value(fromOf(s4).master, 'SELECT @@read_only')).toBe('0');
      } finally {
        await locker.query('UNLOCK TABLES').catch(() => undefined);
        await locker.close();
      }
      await eventually('the new master caught up', async () => ((await q(s4New, (a) => a.replicaStatus()))?.secondsBehind ?? 99) === 0, 15_000, 100);

      const done = await applyResume(setup);
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toContain('applied');

      // writes keep landing on the new masters; then the writers stop
      await writers.stopAfterMoreWrites();

      const journal = await journalEntries(setup.journalFile);
      for (const shard of shards) {
        for (const p of ['provision', 'seed', 'catch-up', 'verify', 'switchover', 'readers']) {
          expect(journal.some((e) => e.phase === `${shard}/${p}` && (e.event === 'done' || e.event === 'skipped')), `${shard}/${p}`).toBe(true);
        }
        // the journal says how each new copy was seeded, and why: CLONE between MySQL servers
        // (the sandbox's replicas load the clone plugin), a dump from MariaDB
        const seeded = journal.filter((e) => e.phase === `${shard}/seed` && e.event === 'done').at(-1)?.state?.[`${shard}:seed_method`] as Record<string, string> | undefined;
        expect(Object.values(seeded ?? {}), shard).toHaveLength(2);
        for (const how of Object.values(seeded ?? {})) expect(how).toMatch(engine === 'mysql' ? /^clone: mysql 9\.\d+\.\d+ on both sides with the clone plugin active/ : /^dump: no CLONE: .* runs mariadb/);
      }
      // where the time goes (per phase, from the journal)
      const began = new Map<string, number>();
      const spent = new Map<string, number>();
      for (const e of journal) {
        const kind = e.phase.split('/')[1] ?? e.phase;
        if (e.event === 'start') began.set(e.phase, Date.parse(e.at));
        else if (began.has(e.phase)) spent.set(kind, (spent.get(kind) ?? 0) + Date.parse(e.at) - began.get(e.phase)!);
      }
      console.log(`consolidation (${engine}): time per phase kind (ms): ${JSON.stringify(Object.fromEntries(spent))}`);
      // the plan's end state, and nothing acknowledged missing on any new master or replica
      for (const w of writers.all) await writers.expectMovedWithNothingLost(setup, w);
    },
    480_000,
  );

  it('rolls a switchover back to the old master and forward again, with a writer running and nothing lost', async () => {
    const shard = setup.plan.moves[0]!.shard;
    const [neu] = targetsOf(shard);
    const old = fromOf(shard).master;
    const oldId = fx.config.clusters.find((c) => c.name === shard)!.instances!.find((i) => i.host === old)!.id;
    // the config an operator writes after apply: the cluster lists its new processes too
    const cfg = parse(await readFile(setup.configFile, 'utf8')) as { clusters: { name: string; instances: { id: string; host: string; port: number }[] }[] };
    const cluster = cfg.clusters.find((c) => c.name === shard)!;
    cluster.instances.push(...targetsOf(shard).map((t) => ({ id: `${t.host}-${shard}`, host: t.ip, port: 3306 })));
    const rollbackConfig = join(setup.dir, 'fleet-after.yaml');
    await writeFile(rollbackConfig, stringify(cfg));

    const back = await withWriter(fx, shard, () => dbfleet(['shard', 'switchover', shard, '--to', oldId, '--config', rollbackConfig]));
    expect(back.result.code, back.result.stderr).toBe(0);
    expect(back.lost).toBe(0);
    expect(await fx.writerRecord(shard)).toEqual([old]);
    expect(await value(old, 'SELECT @@read_only')).toBe('0');
    expect(await q(neu!.ip, (a) => a.replicaStatus())).toMatchObject({ sourceHost: old, ioRunning: 'yes', sqlRunning: true });

    const forward = await withWriter(fx, shard, () => dbfleet(['shard', 'switchover', shard, '--to', `${neu!.host}-${shard}`, '--config', rollbackConfig]));
    expect(forward.result.code, forward.result.stderr).toBe(0);
    expect(forward.lost).toBe(0);
    expect(await fx.writerRecord(shard)).toEqual([neu!.ip]);
  });

  it('retires the old servers only on --confirm, after the observation period, and never a writer', async () => {
    const olds = setup.plan.moves.flatMap((m) => [m.from.master, ...m.from.replicas]);
    // observation period not over: listed, refused
    const observing = parse(await readFile(setup.configFile, 'utf8')) as { consolidation: { observation_minutes: number } };
    observing.consolidation.observation_minutes = 60;
    const observingFile = join(setup.dir, 'fleet-observing.yaml');
    await writeFile(observingFile, stringify(observing));
    const early = await dbfleet(['shard', 'retire', setup.planFile, '--config', observingFile, '--confirm']);
    expect(early.code).toBe(1);
    expect(early.stdout).toContain('observing until');
    const unconfirmed = await dbfleet(['shard', 'retire', setup.planFile, '--config', setup.configFile]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--confirm');
    const dry = await dbfleet(['shard', 'retire', setup.planFile, '--config', setup.configFile, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout.match(/\bready\b/g)?.length).toBe(olds.length);
    for (const o of olds) expect(await accepts(o, 3306)).toBe(true);

    // the rollback above left shard 1's old master serving reads again: refused until drained
    const s1 = setup.plan.moves[0]!;
    const serving = await dbfleet(['shard', 'retire', setup.planFile, '--config', setup.configFile, '--confirm']);
    expect(serving.code, serving.stderr).toBe(1);
    expect(serving.stderr).toContain(`still has weight 100 in ${s1.shard}-r`);
    const drained = await dbfleet(['dns', 'set-weight', `${s1.shard}-r`, s1.from.master, '0', '--config', setup.configFile]);
    expect(drained.code, drained.stderr).toBe(0);

    // a server that became a writer again is refused
    const shard = setup.plan.moves[1]!.shard;
    const stolen = fromOf(shard).replicas[0]!;
    await q(stolen, (a) => a.setReadOnly(false));
    const refused = await dbfleet(['shard', 'retire', setup.planFile, '--config', setup.configFile, '--confirm']);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr, refused.stderr).toContain('is writable');
    await q(stolen, (a) => a.setReadOnly(true));

    const r = await withWriter(fx, shard, () => dbfleet(['shard', 'retire', setup.planFile, '--config', setup.configFile, '--confirm']));
    expect(r.result.code, r.result.stderr).toBe(0);
    expect(r.lost).toBe(0);
    for (const o of olds) expect(await accepts(o, 3306), o).toBe(false);
    for (const m of setup.plan.moves) expect(Object.keys(await fx.readerWeights(m.shard))).toEqual([m.to.replicas[0]!.ip]);
    // again: every server already retired, nothing to do
    const again = await dbfleet(['shard', 'retire', setup.planFile, '--config', setup.configFile, '--confirm']);
    expect(again.code, again.stderr).toBe(0);
  });
});
