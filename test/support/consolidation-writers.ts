import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import type { MysqlAdmin } from '../../src/mysql/admin.js';
import { DowntimeMeter } from '../../src/failover/meter/downtime-meter.js';
import { missingWrites } from '../../src/failover/meter/lost-writes.js';
import { readWriteAudit } from '../../src/failover/meter/write-audit-read.js';
import { badWrites, describeAudit } from '../../src/failover/meter/write-audit.js';
import { resolverLookup } from '../../src/failover/meter/name-lookups.js';
import type { ConsolidationSetup } from './consolidation-fixture.js';
import { eventually, type SandboxFixture } from './sandbox-fixture.js';

/** One admin query on a sandbox server, on its own connection. */
export async function onServer<T>(fx: SandboxFixture, host: string, work: (a: MysqlAdmin) => Promise<T>): Promise<T> {
  const a = await connectAdmin({ host, port: 3306, user: 'dbfleet', password: fx.passwords.dbfleet }, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
  try {
    return await work(a);
  } finally {
    await a.close();
  }
}

/** The first column of the first row of `sql` on `host`, as text. */
export const valueOn = (fx: SandboxFixture, host: string, sql: string): Promise<string> => onServer(fx, host, async (a) => String(Object.values((await a.session.query(sql))[0] ?? {})[0]));

export interface ShardWriter {
  shard: string;
  client: string;
  meter: DowntimeMeter;
  stop: AbortController;
  running: Promise<unknown>;
}

/**
 * A client on every shard writing every 25 ms through the shard's writer record (the weighted
 * resolver over MyDNS), as an application would, for the whole of a consolidation.
 */
export class ShardWriters {
  readonly all: ShardWriter[] = [];
  private readonly lookup: ReturnType<typeof resolverLookup>;
  private stopped = false;

  constructor(
    private readonly fx: SandboxFixture,
    shards: readonly string[],
    clientPrefix: string,
  ) {
    this.lookup = resolverLookup(fx.dnsEndpoint, fx.config.dns.zone, openSession);
    for (const shard of shards) {
      const client = `${clientPrefix}-${shard}`;
      const meter = new DowntimeMeter({
        writerName: `${shard}-w`,
        readerName: `${shard}-r`,
        account: { user: 'app', password: fx.passwords.app, database: 'app', table: 'writes', port: 3306 },
        intervalMs: 25,
        timeouts: { connectTimeoutMs: 300, queryTimeoutMs: 1_000 },
        client,
        lookup: this.lookup,
        openSession,
      });
      const stop = new AbortController();
      this.all.push({ shard, client, meter, stop, running: meter.run(stop.signal) });
    }
  }

  async writing(): Promise<void> {
    await eventually('every writer writing', async () => this.all.every((w) => w.meter.report().acknowledged.length >= 5));
  }

  /** Waits until every writer got 10 more writes acknowledged (on the new masters), then stops them. */
  async stopAfterMoreWrites(): Promise<void> {
    const acked = this.all.map((w) => w.meter.report().acknowledged.length);
    await eventually('writes after the moves', async () => this.all.every((w, i) => w.meter.report().acknowledged.length >= (acked[i] ?? 0) + 10), 20_000);
    await this.stop();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.all) w.stop.abort();
    await Promise.all(this.all.map((w) => w.running));
    await this.lookup.close();
  }

  /**
   * The plan's end state for one shard (writer record, roles, server ids, replication of every
   * other copy from the new master, reader weights, the new master's my.cnf), and every write its
   * writer had acknowledged on the new master and, once applied, on the new replica.
   */
  async expectMovedWithNothingLost(setup: ConsolidationSetup, w: ShardWriter): Promise<void> {
    const fx = this.fx;
    const move = setup.plan.moves.find((m) => m.shard === w.shard);
    if (!move) throw new Error(`no move for ${w.shard}`);
    const master = move.to.master;
    const replica = move.to.replicas[0];
    if (!replica) throw new Error(`${w.shard} has no new replica in the plan`);
    const report = w.meter.report();
    expect(report.acknowledged.length).toBeGreaterThan(50);
    expect(await fx.writerRecord(w.shard)).toEqual([master.ip]);
    expect(await valueOn(fx, master.ip, 'SELECT @@read_only')).toBe('0');
    expect(Number(await valueOn(fx, master.ip, 'SELECT @@server_id'))).toBe(master.server_id);
    expect(Number(await valueOn(fx, replica.ip, 'SELECT @@server_id'))).toBe(replica.server_id);
    for (const follower of [replica.ip, move.from.master, ...move.from.replicas]) {
      const st = await onServer(fx, follower, (a) => a.replicaStatus());
      expect(st, `${follower}: ${JSON.stringify(st)}`).toMatchObject({ sourceHost: master.ip, ioRunning: 'yes', sqlRunning: true });
      expect(await valueOn(fx, follower, 'SELECT @@read_only')).toBe('1');
    }
    expect(await fx.readerWeights(w.shard)).toEqual({ [replica.ip]: 100, [move.from.master]: 0, ...Object.fromEntries(move.from.replicas.map((r) => [r, 0])) });
    const cnf = join(setup.baseDirs[master.host] as string, 'etc', `my-${w.shard}.cnf`);
    expect(await readFile(cnf, 'utf8')).toContain(`bind-address = ${master.ip}`);
    const ep = { port: 3306, user: 'app', password: fx.passwords.app, database: 'app' };
    expect(await missingWrites(openSession, { host: master.ip, ...ep }, 'writes', w.client, report.acknowledged)).toEqual([]);
    const pos = (await onServer(fx, master.ip, (a) => a.binlogPosition())).gtidSet ?? '';
    await onServer(fx, replica.ip, (a) => a.waitForGtid(pos, 20_000));
    expect(await missingWrites(openSession, { host: replica.ip, ...ep }, 'writes', w.client, report.acknowledged)).toEqual([]);
    // and no write split between the old master and the new one (each server that acknowledged a write is read)
    const audit = await readWriteAudit({ openSession, endpoint: (host) => ({ host, ...ep }), table: 'writes', client: w.client }, report.acks, master.ip);
    expect(badWrites(audit), describeAudit(audit)).toBe(0);
  }
}
