import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stat } from 'node:fs/promises';
import type { SqlSession } from '../../src/mysql/admin.js';
import { registerCluster } from '../../src/dns/cluster-records.js';
import { directResolver, queryA } from '../../src/dns/dns-query.js';
import { DEFAULT_PARAM_COUNTS } from '../../src/dns/pdns-queries.js';
import { stopPowerDns } from '../../src/dns/pdns-process.js';
import { applyChangeSet, listRecords, setTtl, setWeight } from '../../src/dns/record-store.js';
import { host, PDNS_PASSWORD, startMydns, ZONE, type MydnsFixture } from './dns-fixture.js';

/** Real mariadbd holding MyDNS tables, real pdns_server serving them, real DNS queries. */
let db: MydnsFixture;
let session: SqlSession;
let pdns: Awaited<ReturnType<MydnsFixture['startPdns']>>;
const who = { actor: 'test', why: 'dns-pdns test' };
const W = `aurora-test-w.${ZONE}`;
const R = `aurora-test-r.${ZONE}`;

beforeAll(async () => {
  db = await startMydns('dnspdns');
  session = await db.session();
  // the seed's "normal" table: writer instance-01; readers 02 and 03 at 100, the writer's entry at 0
  await registerCluster(session, ZONE, { writerName: 'aurora-test-w', readerName: 'aurora-test-r', writer: '127.0.10.1', readers: ['127.0.10.2', '127.0.10.3'], ttl: 1 }, who);
  pdns = await db.startPdns();
});

afterAll(async () => {
  await session?.close();
  await db?.stop();
});

const resolver = (): ReturnType<typeof directResolver> => directResolver('127.0.0.1', pdns.port, 1_000);

describe('PowerDNS serving the MyDNS tables', () => {
  it('answers the writer name with its one address and the reader name without the weight-0 writer entry', async () => {
    expect(await queryA(resolver(), W)).toEqual([{ address: '127.0.10.1', ttl: 1 }]);
    const readers = await queryA(resolver(), R);
    expect(readers.map((a) => a.address)).toEqual(['127.0.10.2', '127.0.10.3']);
    const stored = await listRecords(session, ZONE, 'aurora-test-r');
    expect(stored.records.find((r) => r.address === '127.0.10.1')?.weight).toBe(0);
  });

  it('serves rr.ttl as stored, not raised or cached', async () => {
    await setTtl(session, ZONE, 'aurora-test-w', 1, 37, who);
    expect(await queryA(resolver(), W)).toEqual([{ address: '127.0.10.1', ttl: 37 }]);
    await setTtl(session, ZONE, 'aurora-test-w', 37, 1, who);
    expect(await queryA(resolver(), W)).toEqual([{ address: '127.0.10.1', ttl: 1 }]);
  });

  it('answers a weight change on the very next query', async () => {
    await setWeight(session, ZONE, 'aurora-test-r', '127.0.10.2', 100, 0, who);
    expect((await queryA(resolver(), R)).map((a) => a.address)).toEqual(['127.0.10.3']);
    await setWeight(session, ZONE, 'aurora-test-r', '127.0.10.2', 0, 100, who);
    expect((await queryA(resolver(), R)).map((a) => a.address)).toEqual(['127.0.10.2', '127.0.10.3']);
  });

  it('follows a failover change set (the seed\'s "after the writer switch" table) at once', async () => {
    await applyChangeSet(
      session,
      ZONE,
      [
        { op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.1' }, address: '127.0.10.3' },
        { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.3', expect: { weight: 100 }, weight: 0 },
        { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.1', expect: { weight: 0 }, weight: 100 },
      ],
      { actor: 'test', why: 'failover to instance-03' },
    );
    expect((await queryA(resolver(), W)).map((a) => a.address)).toEqual(['127.0.10.3']);
    expect((await queryA(resolver(), R)).map((a) => a.address)).toEqual(['127.0.10.1', '127.0.10.2']);
  });

  it("never answers rows with active='N' and serves the SOA from the soa table", async () => {
    await db.rootSql("INSERT INTO rr (zone, name, type, data, ttl, active, weight) SELECT id, 'legacy-off', 'A', '127.0.0.9', 5, 'N', 100 FROM soa LIMIT 1", 'mydns');
    await expect(queryA(resolver(), `legacy-off.${ZONE}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const soa = await resolver().resolveSoa(ZONE.slice(0, -1));
    const serial = Number(await db.rootSql('SELECT serial FROM soa LIMIT 1', 'mydns'));
    expect(soa).toMatchObject({ nsname: `ns1.${ZONE.slice(0, -1)}`, serial, minttl: 1 });
  });

  it('keeps the database password in a 0600 file, never on its command line', async () => {
    expect((await stat(pdns.configFile)).mode & 0o777).toBe(0o600);
    const cmdline = await host.readFile(`/proc/${pdns.pid}/cmdline`);
    expect(cmdline).not.toContain(PDNS_PASSWORD);
    expect(cmdline.split('\0')).toContain(`--config-dir=${pdns.configFile.replace(/\/pdns\.conf$/, '')}`);
  });

  it('overrides keep the parameter counts of the installed pdns_server defaults', async () => {
    const r = await host.check('pdns_server', ['--config=default', '--launch=gmysql'], { timeoutMs: 10_000 });
    for (const [name, count] of Object.entries(DEFAULT_PARAM_COUNTS)) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`# gmysql-${name}=`));
      expect(line, name).toBeDefined();
      expect((line ?? '').split('?').length - 1, name).toBe(count);
    }
  });

  it('stops by PID and refuses a PID that is not its pdns_server', async () => {
    const second = await db.startPdns();
    expect(await stopPowerDns(host, process.pid, { configDir: '/nonexistent' })).toBe(false);
    expect(await stopPowerDns(host, second.pid, { configDir: second.configFile.replace(/\/pdns\.conf$/, '') })).toBe(true);
    expect(await host.isAlive(second.pid)).toBe(false);
  });
});
