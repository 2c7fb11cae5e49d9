import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlSession } from '../../src/mysql/admin.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { readAudit } from '../../src/dns/audit-log.js';
import { registerCluster } from '../../src/dns/cluster-records.js';
import { directResolver, queryA } from '../../src/dns/dns-query.js';
import { applyChangeSet, listRecords, setWeight } from '../../src/dns/record-store.js';
import { readZone } from '../../src/dns/record-rows.js';
import { checkSchema } from '../../src/dns/schema-check.js';
import { initSchema } from '../../src/dns/schema-init.js';
import { DBFLEET_PASSWORD, startMydns, TIMEOUTS, ZONE, type MydnsFixture } from './dns-fixture.js';

/** The record store against a real mariadbd: schema, upgrade, compare-and-swap under concurrency, audit. */
let db: MydnsFixture;
let session: SqlSession;
const who = { actor: 'test', why: 'dns-store test' };

beforeAll(async () => {
  db = await startMydns('dnsstore', { init: false });
  session = await db.session();
});

afterAll(async () => {
  await session?.close();
  await db?.stop();
});

const weightsOf = async (name: string): Promise<Record<string, number>> =>
  Object.fromEntries((await listRecords(session, ZONE, name)).records.map((r) => [r.address, r.weight]));
const serial = async (): Promise<number> => (await readZone(session, ZONE, { timeoutMs: 5_000 }, false)).serial;

describe('dns init on an empty database', () => {
  it('creates the tables and the zone, then finds nothing to change', async () => {
    const first = await initSchema(session, { zone: ZONE });
    expect(first.changes).toEqual([
      'create table soa',
      'create table rr',
      'create table dbfleet_name',
      'create table dbfleet_audit',
      'create table dbfleet_drain',
      `add zone ${ZONE} to soa (minimum 1 s, ttl 60 s)`,
    ]);
    const second = await initSchema(session, { zone: ZONE });
    expect(second).toMatchObject({ changes: [], summary: 'nothing to change' });
    expect((await checkSchema(session, { zone: ZONE })).warnings).toEqual([]);
    await registerCluster(session, ZONE, { writerName: 'aurora-test-w', readerName: 'aurora-test-r', writer: '127.0.10.1', readers: ['127.0.10.2', '127.0.10.3'] }, who);
  });
});

describe('upgrading an existing MyDNS database (no weight, no active, MyISAM)', () => {
  const legacy = 'mydns_legacy';
  const columns = 'id, zone, name, type, data, aux, ttl';
  beforeAll(async () => {
    // MyDNS 1.x `mydns --create-tables`, with the data a running MyDNS would hold
    await db.rootSql(
      [
        `CREATE DATABASE ${legacy} DEFAULT CHARACTER SET latin1;`,
        `USE ${legacy};`,
        "CREATE TABLE soa (id INT UNSIGNED NOT NULL AUTO_INCREMENT, origin CHAR(255) NOT NULL, ns CHAR(255) NOT NULL, mbox CHAR(255) NOT NULL, serial INT UNSIGNED NOT NULL default '1', refresh INT UNSIGNED NOT NULL default '28800', retry INT UNSIGNED NOT NULL default '7200', expire INT UNSIGNED NOT NULL default '604800', minimum INT UNSIGNED NOT NULL default '86400', ttl INT UNSIGNED NOT NULL default '86400', UNIQUE KEY (origin), PRIMARY KEY (id)) ENGINE=MyISAM;",
        "CREATE TABLE rr (id INT UNSIGNED NOT NULL AUTO_INCREMENT, zone INT UNSIGNED NOT NULL, name CHAR(64) NOT NULL, type ENUM('A','AAAA','CNAME','HINFO','MX','NAPTR','NS','PTR','RP','SRV','TXT'), data CHAR(128) NOT NULL, aux INT UNSIGNED NOT NULL, ttl INT UNSIGNED NOT NULL default '86400', UNIQUE KEY rr (zone,name,type,data), KEY zone (zone), PRIMARY KEY (id)) ENGINE=MyISAM;",
        `INSERT INTO soa (origin, ns, mbox, serial, minimum, ttl) VALUES ('${ZONE}', 'ns1.${ZONE}', 'hostmaster.${ZONE}', 2019010101, 300, 3600);`,
        "INSERT INTO rr (zone, name, type, data, aux, ttl) VALUES (1, 'legacy-w', 'A', '10.1.0.1', 0, 60), (1, 'legacy-r', 'A', '10.1.0.2', 0, 60), (1, 'legacy-r', 'A', '10.1.0.3', 0, 60),",
        `  (1, 'abs.${ZONE}', 'A', '10.1.0.4', 0, 600), (1, '', 'NS', 'ns1', 0, 3600), (1, '', 'MX', 'mail', 10, 3600), (1, 'www', 'CNAME', 'legacy-w', 0, 300);`,
        `GRANT SELECT ON ${legacy}.* TO 'pdns'@'%';`,
      ].join('\n'),
    );
  });

  it('adds what is missing, converts to InnoDB, keeps every row and keeps it answered', async () => {
    const before = await db.rootSql(`SELECT ${columns} FROM rr ORDER BY id; SELECT * FROM soa`, legacy);
    const s = await openSession({ host: db.address, port: 3306, user: 'dbfleet', password: DBFLEET_PASSWORD }, TIMEOUTS);
    try {
      const check = await (async () => {
        await s.query(`USE ${legacy}`);
        return checkSchema(s, { zone: ZONE });
      })();
      expect(check.warnings.map((w) => w.code).sort()).toEqual(['COLUMN_MISSING', 'COLUMN_MISSING', 'COLUMN_MISSING', 'NEGATIVE_TTL_HIGH', 'NOT_INNODB', 'NOT_INNODB', 'SOA_MINIMUM_ABOVE_TTL', 'TABLE_MISSING', 'TABLE_MISSING', 'TABLE_MISSING', 'WEIGHT_MISSING'].sort());
      expect(check.warnings.find((w) => w.code === 'SOA_MINIMUM_ABOVE_TTL')?.message).toMatch(/soa.minimum is 300 s, above the TTL of 3 record\(s\) \(legacy-r, legacy-w\)/);

      const report = await initSchema(s, { zone: ZONE, database: legacy });
      expect(report.changes).toEqual([
        'add column soa.active',
        'add column soa.xfer',
        'convert table soa from MyISAM to InnoDB (rows kept)',
        'add column rr.active',
        'add column rr.weight',
        'convert table rr from MyISAM to InnoDB (rows kept)',
        'create table dbfleet_name',
        'create table dbfleet_audit',
        'create table dbfleet_drain',
      ]);
      expect(await db.rootSql(`SELECT ${columns} FROM rr ORDER BY id; SELECT id, origin, ns, mbox, serial, refresh, retry, expire, minimum, ttl FROM soa`, legacy)).toBe(before);
      expect(await db.rootSql("SELECT COUNT(*) FROM rr WHERE weight = 100 AND active = 'Y'", legacy)).toBe('7');
      expect(await db.rootSql(`SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${legacy}' AND TABLE_NAME IN ('soa', 'rr')`)).toBe('InnoDB\nInnoDB');
      expect(await initSchema(s, { zone: ZONE, database: legacy })).toMatchObject({ summary: 'nothing to change' });
      // the settings a DBA must still fix by hand are still reported
      expect((await checkSchema(s, { zone: ZONE })).warnings.map((w) => w.code).sort()).toEqual(['NEGATIVE_TTL_HIGH', 'SOA_MINIMUM_ABOVE_TTL']);
      // names that predate dbfleet get their roles declared; then the writer invariant guards them
      await applyChangeSet(s, ZONE, [{ op: 'set-role', name: 'legacy-w', expect: { role: null }, role: 'writer' }, { op: 'set-role', name: 'legacy-r', expect: { role: null }, role: 'reader' }], who);
      expect((await listRecords(s, ZONE, 'legacy-w')).role).toBe('writer');
      await expect(applyChangeSet(s, ZONE, [{ op: 'add-address', name: 'legacy-w', address: '10.1.0.9', weight: 100 }], who)).rejects.toMatchObject({ code: 'DNS_INVARIANT' });
    } finally {
      await s.close();
    }

    // PowerDNS serves the upgraded legacy rows, relative and absolute names alike
    const pdns = await db.startPdns(legacy);
    const r = directResolver('127.0.0.1', pdns.port, 1_000);
    expect((await queryA(r, `legacy-r.${ZONE}`)).map((a) => a.address)).toEqual(['10.1.0.2', '10.1.0.3']);
    expect(await queryA(r, `abs.${ZONE}`)).toEqual([{ address: '10.1.0.4', ttl: 600 }]);
    expect(await r.resolveCname(`www.${ZONE}`)).toEqual([`legacy-w.${ZONE.slice(0, -1)}`]);
    expect(await r.resolveMx(ZONE.slice(0, -1))).toEqual([{ exchange: `mail.${ZONE.slice(0, -1)}`, priority: 10 }]);
  });

  it('refuses a database whose rr table is not a MyDNS table', async () => {
    await db.rootSql("CREATE DATABASE foreign_db; CREATE TABLE foreign_db.rr (id INT PRIMARY KEY, payload TEXT);");
    const s = await openSession({ host: db.address, port: 3306, user: 'dbfleet', password: DBFLEET_PASSWORD }, TIMEOUTS);
    try {
      await expect(initSchema(s, { zone: ZONE, database: 'foreign_db' })).rejects.toMatchObject({ code: 'DNS_SCHEMA_FOREIGN', message: expect.stringContaining('lacks MyDNS column(s) zone, name, type, data, aux, ttl') });
      expect(await db.rootSql("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'foreign_db' AND TABLE_NAME = 'rr'")).toBe('2');
    } finally {
      await s.close();
    }
  });
});

describe('compare-and-swap under concurrency', () => {
  it('two writers with the same stale expectation: one commits, the other gets a Conflict, nothing is lost', async () => {
    const a = await db.session();
    const b = await db.session();
    try {
      // both read weight 100; A holds the zone lock a moment (its fence) so B surely overlaps it
      const serialBefore = await serial();
      const [ra, rb] = await Promise.allSettled([
        setWeight(a, ZONE, 'aurora-test-r', '127.0.10.2', 100, 0, { actor: 'writer-a', why: 'drain', fence: () => new Promise((r) => setTimeout(r, 300)) }),
        new Promise((r) => setTimeout(r, 50)).then(() => setWeight(b, ZONE, 'aurora-test-r', '127.0.10.2', 100, 50, { actor: 'writer-b', why: 'half' })),
      ]);
      expect(ra.status).toBe('fulfilled');
      expect(rb).toMatchObject({ status: 'rejected', reason: { code: 'DNS_CONFLICT', message: expect.stringContaining('expected weight 100 for 127.0.10.2, found 0') } });
      expect((await weightsOf('aurora-test-r'))['127.0.10.2']).toBe(0);
      expect(await serial()).toBe(serialBefore + 1);
      const zone = await readZone(session, ZONE, { timeoutMs: 5_000 }, false);
      const audit = await readAudit(session, zone.id, { name: 'aurora-test-r', limit: 1 }, { timeoutMs: 5_000 });
      expect(audit[0]).toMatchObject({ actor: 'writer-a', why: 'drain', op: 'set-weight', serial: serialBefore + 1, summary: 'set weight aurora-test-r 127.0.10.2: 100 -> 0' });
      expect(audit[0]?.before).toMatchObject({ role: 'reader', records: expect.arrayContaining([{ address: '127.0.10.2', weight: 100, ttl: 1, active: true }]) });
      expect(audit[0]?.after).toMatchObject({ records: expect.arrayContaining([{ address: '127.0.10.2', weight: 0, ttl: 1, active: true }]) });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('racing writers without any delay: every round exactly one wins, no update is lost', async () => {
    const sessions = await Promise.all([1, 2, 3, 4].map(() => db.session()));
    try {
      for (let round = 0; round < 5; round++) {
        const current = (await weightsOf('aurora-test-r'))['127.0.10.3'] as number;
        const results = await Promise.allSettled(sessions.map((s, i) => setWeight(s, ZONE, 'aurora-test-r', '127.0.10.3', current, 200 + round * 10 + i, { actor: `racer-${i}`, why: 'race' })));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('DNS_CONFLICT');
        expect((await weightsOf('aurora-test-r'))['127.0.10.3']).toBe(200 + round * 10 + (won[0] as number));
      }
    } finally {
      await Promise.all(sessions.map((s) => s.close()));
    }
  });
});

describe('transactions: all or nothing', () => {
  it('a change set whose second operation conflicts changes nothing, not even the first', async () => {
    const before = { w: await listRecords(session, ZONE, 'aurora-test-w'), r: await weightsOf('aurora-test-r'), serial: await serial() };
    await expect(
      applyChangeSet(
        session,
        ZONE,
        [
          { op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.1' }, address: '127.0.10.2' },
          { op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.1', expect: { weight: 77 }, weight: 100 },
        ],
        who,
      ),
    ).rejects.toMatchObject({ code: 'DNS_CONFLICT' });
    expect(await listRecords(session, ZONE, 'aurora-test-w')).toEqual(before.w);
    expect(await weightsOf('aurora-test-r')).toEqual(before.r);
    expect(await serial()).toBe(before.serial);
  });

  it('a fence that throws (lease lost) rolls everything back and the session stays usable', async () => {
    const before = await weightsOf('aurora-test-r');
    const s0 = await serial();
    await expect(
      setWeight(session, ZONE, 'aurora-test-r', '127.0.10.1', 0, 100, {
        ...who,
        fence: async (tx) => {
          const rows = await tx.query('SELECT 1 AS held FROM DUAL WHERE 1 = 0');
          if (rows.length === 0) throw new Error('lease lost');
        },
      }),
    ).rejects.toThrow('lease lost');
    expect(await weightsOf('aurora-test-r')).toEqual(before);
    expect(await serial()).toBe(s0);
  });

  it('never leaves the writer name with zero or two records, even when asked to', async () => {
    const w = (await listRecords(session, ZONE, 'aurora-test-w')).records;
    await expect(applyChangeSet(session, ZONE, [{ op: 'add-address', name: 'aurora-test-w', address: '127.0.10.9', weight: 100 }], who)).rejects.toMatchObject({ code: 'DNS_INVARIANT' });
    await expect(applyChangeSet(session, ZONE, [{ op: 'remove-address', name: 'aurora-test-w', address: '127.0.10.1', expect: { weight: 100 } }], who)).rejects.toMatchObject({ code: 'DNS_INVARIANT' });
    expect((await listRecords(session, ZONE, 'aurora-test-w')).records).toEqual(w);
    // a replacement is one UPDATE of the one row: never a moment with zero or two rows
    const moved = await applyChangeSet(session, ZONE, [{ op: 'replace-writer', name: 'aurora-test-w', expect: { address: '127.0.10.1' }, address: '127.0.10.3' }], who);
    expect(moved.steps[0]?.after.records).toEqual([{ ...w[0], address: '127.0.10.3' }]);
    expect(await db.rootSql("SELECT COUNT(*) FROM rr WHERE name = 'aurora-test-w'", 'mydns')).toBe('1');
  });

  it('registering the same cluster twice changes nothing; a clashing one is refused', async () => {
    const c = { writerName: 'c2-w', readerName: 'c2-r', writer: '127.0.20.1', readers: ['127.0.20.2'] };
    expect(await registerCluster(session, ZONE, c, who)).toBeDefined();
    const s0 = await serial();
    expect(await registerCluster(session, ZONE, c, who)).toBeUndefined();
    expect(await serial()).toBe(s0);
    await expect(registerCluster(session, ZONE, { ...c, writer: '127.0.20.9' }, who)).rejects.toMatchObject({ code: 'DNS_CONFLICT', message: expect.stringContaining('c2-w already has 127.0.20.1@100') });
  });
});
