import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerDnsCommands } from '../../src/cli/dns.js';
import type { CliContext } from '../../src/cli/context.js';
import { isDbfleetError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import type { SqlSession } from '../../src/mysql/admin.js';
import { registerCluster } from '../../src/dns/cluster-records.js';
import { countPlaceholders, DEFAULT_PARAM_COUNTS } from '../../src/dns/pdns-queries.js';
import { DBFLEET_PASSWORD, startMydns, ZONE, type MydnsFixture } from './dns-fixture.js';

/**
 * `dbfleet dns ...` in-process with captured streams, against a real MyDNS mariadbd. The runner
 * below does what src/cli/main.ts does with a command's outcome (commander errors exit 2, a
 * DbfleetError exits with its cliExitCode after "dbfleet: <describe()>"); it registers only the
 * dns group, so this file does not depend on how the CLI root wires the other groups.
 */
let db: MydnsFixture;
let session: SqlSession;
let dsn: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function dbfleet(args: string[], env: Record<string, string | undefined> = { DBFLEET_DNS_PASSWORD: DBFLEET_PASSWORD }): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void): Writable => new Writable({ write: (chunk: Buffer, _e, cb) => (append(chunk.toString()), cb()) });
  const ctx: CliContext = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env, logger: silentLogger, exitCode: 0 };
  const program = new Command('dbfleet').exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  registerDnsCommands(program, ctx);
  try {
    await program.parseAsync(['node', 'dbfleet', ...args]);
    return { code: ctx.exitCode, stdout, stderr };
  } catch (e) {
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    if (isDbfleetError(e)) return { code: e.cliExitCode, stdout, stderr: `${stderr}dbfleet: ${e.describe()}\n` };
    throw e;
  }
}

/** Everything a bad command must leave untouched: every rr row, the serial, the audit count. */
const snapshot = (): Promise<string> => db.rootSql('SELECT id, name, data, weight, ttl, active FROM rr ORDER BY id; SELECT serial FROM soa; SELECT COUNT(*) FROM dbfleet_audit', 'mydns');

beforeAll(async () => {
  db = await startMydns('dnscli', { init: false });
  dsn = `mysql://dbfleet@${db.address}:3306/mydns`;
});

afterAll(async () => {
  await session?.close();
  await db?.stop();
});

describe('dbfleet dns init', () => {
  it('creates the schema, then says there is nothing to change', async () => {
    const first = await dbfleet(['dns', 'init', '--dsn', dsn, '--zone', ZONE]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`MyDNS database ${dsn}, zone ${ZONE}: 6 changes`);
    expect(first.stdout).toContain('  + create table rr');
    const second = await dbfleet(['dns', 'init', '--dsn', dsn, '--zone', ZONE]);
    expect(second.stdout).toContain(`zone ${ZONE}: nothing to change`);
    const check = await dbfleet(['dns', 'init', '--dsn', dsn, '--zone', ZONE, '--check']);
    expect(check.stdout).toBe('check: no settings found that would slow failover\n');
    session = await db.session();
    await registerCluster(session, ZONE, { writerName: 'aurora-test-w', readerName: 'aurora-test-r', writer: '127.0.10.1', readers: ['127.0.10.2', '127.0.10.3'] }, { actor: 'test', why: 'setup' });
  });

  it('--check warns about a soa.minimum that MyDNS would use to raise 1 s TTLs, changing nothing', async () => {
    await db.rootSql('UPDATE soa SET minimum = 300', 'mydns');
    const before = await snapshot();
    const r = await dbfleet(['dns', 'init', '--dsn', dsn, '--zone', ZONE, '--check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning SOA_MINIMUM_ABOVE_TTL: soa.minimum is 300 s, above the TTL of 4 record\(s\) \(aurora-test-r, aurora-test-w\)/);
    expect(await snapshot()).toBe(before);
    await db.rootSql('UPDATE soa SET minimum = 1', 'mydns');
  });
});

describe('dbfleet dns show / set-weight / set-ttl', () => {
  it('shows the records', async () => {
    const r = await dbfleet(['dns', 'show', '--dsn', dsn]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(2, 6).map((l) => l.split(/\s+/).join(' '))).toEqual([
      'aurora-test-r reader 127.0.10.1 0 1 yes',
      'aurora-test-r reader 127.0.10.2 100 1 yes',
      'aurora-test-r reader 127.0.10.3 100 1 yes',
      'aurora-test-w writer 127.0.10.1 100 1 yes',
    ]);
    const json = await dbfleet(['dns', 'show', 'aurora-test-w', '--dsn', dsn, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'aurora-test-w', role: 'writer', records: [{ address: '127.0.10.1', weight: 100, ttl: 1, active: true }] });
  });

  it('set-weight prints before/after and records who did it', async () => {
    const r = await dbfleet(['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.2', '0', '--why', 'drain for a type change']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^set-weight aurora-test-r 127.0.10.2 -> 0 \(soa serial \d+\)\n/);
    expect(r.stdout).toMatch(/127\.0\.10\.2\s+100\s+0\s+changed/);
    expect(r.stdout).toMatch(/127\.0\.10\.3\s+100\s+100\s*\n/);
    expect(await db.rootSql("SELECT weight FROM rr WHERE name = 'aurora-test-r' AND data = '127.0.10.2'", 'mydns')).toBe('0');
    expect(await db.rootSql('SELECT actor, why FROM dbfleet_audit ORDER BY id DESC LIMIT 1', 'mydns')).toMatch(/^cli:.+@.+\tdrain for a type change$/);
    // the same again changes nothing and says so
    const again = await dbfleet(['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.2', '0']);
    expect(again.stdout).toContain('already so, nothing changed');
  });

  it('set-ttl prints before/after', async () => {
    const r = await dbfleet(['dns', 'set-ttl', '--dsn', dsn, 'aurora-test-r.db.example.internal.', '5', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { changed: boolean; before: { ttl: number }[]; after: { ttl: number }[] };
    expect(doc.changed).toBe(true);
    expect(doc.before.map((x) => x.ttl)).toEqual([1, 1, 1]);
    expect(doc.after.map((x) => x.ttl)).toEqual([5, 5, 5]);
  });

  it('drain holds an address at 0 and is marked by show; undrain --weight restores it where no checker runs', async () => {
    const d = await dbfleet(['dns', 'drain', '--dsn', dsn, 'aurora-test-r', '127.0.10.3', '--reason', 'restart']);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/^drain aurora-test-r 127.0.10.3 \(soa serial \d+\): held at weight 0/);
    expect(d.stdout).toMatch(/127\.0\.10\.3\s+100\s+0\s+changed/);
    expect(await db.rootSql("SELECT name, address, reason FROM dbfleet_drain", 'mydns')).toBe('aurora-test-r\t127.0.10.3\trestart');
    expect((await dbfleet(['dns', 'show', '--dsn', dsn, 'aurora-test-r'])).stdout).toMatch(/127\.0\.10\.3\s+0\s+5\s+yes\s+yes: restart\n/);
    const u = await dbfleet(['dns', 'undrain', '--dsn', dsn, 'aurora-test-r', '127.0.10.3', '--weight', '100', '--json']);
    expect(u.code, u.stderr).toBe(0);
    expect(JSON.parse(u.stdout)).toMatchObject({ name: 'aurora-test-r', address: '127.0.10.3', changed: true, drained: false, drain: { reason: 'restart' } });
    expect(await db.rootSql("SELECT COUNT(*) FROM dbfleet_drain", 'mydns')).toBe('0');
    expect(await db.rootSql("SELECT weight FROM rr WHERE name = 'aurora-test-r' AND data = '127.0.10.3'", 'mydns')).toBe('100');
  });

  it('reads the MyDNS database from a fleet config (dns section, password from a 0600 file)', async () => {
    const pw = join(db.dir, 'dns.password');
    await writeFile(pw, `${DBFLEET_PASSWORD}\n`, { mode: 0o600 });
    const cfg = join(db.dir, 'fleet.yaml');
    await writeFile(cfg, `dns:\n  dsn: ${dsn}\n  zone: ${ZONE}\n  password_file: ${pw}\n`);
    const r = await dbfleet(['dns', 'show', 'aurora-test-w', '--config', cfg], {});
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('127.0.10.1');
    await chmod(pw, 0o644);
    const loose = await dbfleet(['dns', 'show', '--config', cfg], {});
    expect(loose.code).toBe(2);
    expect(loose.stderr).toContain('is readable by others (mode 644)');
  });
});

describe('bad input: a typed error naming the problem, the right exit code, nothing changed', () => {
  const cases: { why: string; args: () => string[]; code: number; message: RegExp; env?: Record<string, string | undefined> }[] = [
    { why: 'not an IP', args: () => ['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.256', '5'], code: 2, message: /"127.0.10.256" is not an IP address/ },
    { why: 'a negative weight', args: () => ['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.3', '-1'], code: 2, message: /weight -1 is invalid: expected an integer from 0 to 65535/ },
    { why: 'a non-integer weight', args: () => ['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.3', '2.5'], code: 2, message: /weight "2.5" is not a whole number/ },
    { why: 'an unknown name', args: () => ['dns', 'set-weight', '--dsn', dsn, 'no-such-name', '127.0.10.3', '5'], code: 2, message: /no-such-name has no address records in zone db.example.internal./ },
    { why: 'an address not under the name', args: () => ['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.9', '5'], code: 2, message: /aurora-test-r has no record for 127.0.10.9/ },
    { why: 'a TTL of 0', args: () => ['dns', 'set-ttl', '--dsn', dsn, 'aurora-test-r', '0'], code: 2, message: /TTL 0 is out of range: expected whole seconds from 1 to 604800/ },
    { why: 'a TTL over a week', args: () => ['dns', 'set-ttl', '--dsn', dsn, 'aurora-test-r', '9999999'], code: 2, message: /TTL 9999999 is out of range/ },
    { why: 'draining the writer name', args: () => ['dns', 'set-weight', '--dsn', dsn, 'aurora-test-w', '127.0.10.1', '0'], code: 1, message: /would leave writer name aurora-test-w without exactly one answerable record/ },
    { why: "draining the writer name's only record", args: () => ['dns', 'drain', '--dsn', dsn, 'aurora-test-w', '127.0.10.1'], code: 1, message: /aurora-test-w is a writer name: its only record \(127.0.10.1\) cannot be drained/ },
    { why: 'draining something not an IP', args: () => ['dns', 'drain', '--dsn', dsn, 'aurora-test-r', 'db-3'], code: 2, message: /"db-3" is not an IP address/ },
    { why: 'a password inside the DSN', args: () => ['dns', 'show', '--dsn', `mysql://dbfleet:${DBFLEET_PASSWORD}@${db.address}:3306/mydns`], code: 2, message: /--dsn must not contain a password/ },
    { why: 'both --dsn and --config', args: () => ['dns', 'show', '--dsn', dsn, '--config', '/nonexistent.yaml'], code: 2, message: /exactly one of --dsn URL or --config FILE/ },
    { why: 'a missing config file', args: () => ['dns', 'show', '--config', '/nonexistent.yaml'], code: 2, message: /cannot read config file \/nonexistent.yaml: ENOENT/ },
    { why: 'an unreachable database', args: () => ['dns', 'set-weight', '--dsn', `mysql://dbfleet@127.53.0.1:3306/mydns`, 'aurora-test-r', '127.0.10.3', '5'], code: 1, message: /connecting to 127.53.0.1:3306: connect ECONNREFUSED/ },
    { why: 'a wrong password', args: () => ['dns', 'set-weight', '--dsn', dsn, 'aurora-test-r', '127.0.10.3', '5'], env: { DBFLEET_DNS_PASSWORD: 'wrong-password' }, code: 1, message: /Access denied for user 'dbfleet'/ },
  ];
  for (const c of cases) {
    it(c.why, async () => {
      const before = await snapshot();
      const r = await dbfleet(c.args(), c.env);
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).toMatch(/^dbfleet: /);
      expect(`${r.stdout}${r.stderr}`).not.toContain(DBFLEET_PASSWORD);
      expect(await snapshot()).toBe(before);
    });
  }
});

describe('dbfleet dns pdns-config', () => {
  it('prints settings that serve the tables, with a placeholder where the password goes', async () => {
    const r = await dbfleet(['dns', 'pdns-config', '--dsn', dsn, '--zone', ZONE, '--port', '15300']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gmysql-password=PUT-THE-PASSWORD-HERE');
    expect(r.stdout).toContain('# Replace PUT-THE-PASSWORD-HERE below with the password of MySQL user dbfleet');
    expect(r.stdout).not.toContain(DBFLEET_PASSWORD);
    expect(r.stdout).toContain('local-port=15300');
    expect(r.stdout).toContain(`gmysql-host=${db.address}`);
    for (const [name, count] of Object.entries(DEFAULT_PARAM_COUNTS)) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`gmysql-${name}=`)) ?? '';
      expect(countPlaceholders(line.slice(line.indexOf('=') + 1)), name).toBe(count);
    }
  });
});
