import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { consolidationSectionSchema } from '../../src/core/config-schema.js';
import { describeIssues } from '../../src/core/config-load.js';
import { hostEngine } from '../../src/shard/apply/apply-context.js';
import { clientDefaultsFile, dumpCommand, loadCommand } from '../../src/shard/seed/seed-by-dump.js';
import { chooseSeedMethod, type CloneSide, type SeedMethodFacts } from '../../src/shard/seed/seed-method.js';
import { parseBatch } from '../../src/shard/seed/root-client.js';

const execFileAsync = promisify(execFile);

// The pure parts of seeding a new copy on either engine: which method, which command lines, what
// the consolidation section says a host runs; the root client's batch-output parser.

const side = (over: Partial<CloneSide> = {}): CloneSide => ({ host: '10.0.0.2', engine: 'mysql 9.7.4', version: '9.7.4', cloneSupported: true, clonePlugin: 'ACTIVE', ...over });
const facts = (over: { asked?: SeedMethodFacts['asked']; donor?: Partial<SeedMethodFacts['donor']>; recipient?: Partial<CloneSide> } = {}): SeedMethodFacts => ({
  asked: over.asked ?? 'auto',
  donor: { ...side(), backupAdmin: true, account: 'dbfleet@%', nonInnodbTables: [], ...over.donor },
  recipient: side({ host: 's1 on db-1', ...over.recipient }),
});

describe('choosing how a new copy is seeded', () => {
  it.each([
    ['MySQL of one version on both sides, plugin active, BACKUP_ADMIN', facts(), 'clone', /^mysql 9\.7\.4 on both sides with the clone plugin active, and dbfleet@% holds BACKUP_ADMIN on the donor 10\.0\.0\.2$/],
    ['asked for a dump', facts({ asked: 'dump' }), 'dump', /^consolidation\.seed_method is dump$/],
    ['a MariaDB donor', facts({ donor: { engine: 'mariadb 10.11.6', version: '10.11.6', cloneSupported: false } }), 'dump', /^no CLONE: 10\.0\.0\.2 runs mariadb 10\.11\.6, which has no CLONE/],
    ['MySQL 8.0.16 (before CLONE)', facts({ recipient: { engine: 'mysql 8.0.16', version: '8.0.16', cloneSupported: false } }), 'dump', /^no CLONE: s1 on db-1 runs mysql 8\.0\.16/],
    ['two releases of one series (9.7)', facts({ donor: { engine: 'mysql 9.7.3', version: '9.7.3' } }), 'clone', /^mysql 9\.7\.3 on the donor and mysql 9\.7\.4 on the new copy \(one series\) with the clone plugin active/],
    ['two series', facts({ donor: { engine: 'mysql 8.4.3', version: '8.4.3' } }), 'dump', /runs mysql 8\.4\.3 and the new copy mysql 9\.7\.4: CLONE needs one series/],
    ['8.0 releases before 8.0.37', facts({ donor: { engine: 'mysql 8.0.36', version: '8.0.36' }, recipient: { engine: 'mysql 8.0.35', version: '8.0.35' } }), 'dump', /CLONE needs one series \(from 8\.0\.37; the same release before\)/],
    ['8.0 releases from 8.0.37', facts({ donor: { engine: 'mysql 8.0.37', version: '8.0.37' }, recipient: { engine: 'mysql 8.0.42', version: '8.0.42' } }), 'clone', /^mysql 8\.0\.37 on the donor and mysql 8\.0\.42 on the new copy/],
    ['a MyISAM table on the donor', facts({ donor: { nonInnodbTables: ['app.legacy (MyISAM)'] } }), 'dump', /^no CLONE: the donor 10\.0\.0\.2 has tables CLONE would copy empty \(it copies InnoDB data only\): app\.legacy \(MyISAM\)$/],
    ['a donor without the plugin', facts({ donor: { clonePlugin: undefined } }), 'dump', /the donor 10\.0\.0\.2 has the clone plugin not installed \(load it there with plugin-load-add = mysql_clone\.so\)/],
    ['a donor whose plugin is disabled', facts({ donor: { clonePlugin: 'DISABLED' } }), 'dump', /has the clone plugin DISABLED/],
    ['a copy that could not load it', facts({ recipient: { clonePlugin: undefined } }), 'dump', /the new copy could not load the clone plugin/],
    ['an account without BACKUP_ADMIN', facts({ donor: { backupAdmin: false, account: 'seeder@%' } }), 'dump', /^no CLONE: seeder@% has no BACKUP_ADMIN on the donor 10\.0\.0\.2$/],
  ] as const)('%s: %s', (_what, f, method, why) => {
    const d = chooseSeedMethod(f);
    expect(d.method).toBe(method);
    expect(d.why).toMatch(why);
  });

  it('refuses, naming the obstacle, when clone is asked for and not possible', () => {
    expect(() => chooseSeedMethod(facts({ asked: 'clone', donor: { backupAdmin: false } }))).toThrow(/consolidation\.seed_method is clone, but dbfleet@% has no BACKUP_ADMIN/);
    expect(chooseSeedMethod(facts({ asked: 'clone' })).method).toBe('clone');
  });
});

describe('the dump and load command lines', () => {
  const o = { source: { host: '10.0.0.2', port: 3306 }, databases: ['app', 'game'] };
  it('MariaDB: mariadb-dump with the GTID position as a comment, defaults file first', () => {
    expect(dumpCommand(undefined, '/w/.seed.cnf', o, '/w/seed.sql')).toEqual({
      command: 'mariadb-dump',
      args: ['--defaults-extra-file=/w/.seed.cnf', '-h', '10.0.0.2', '-P', '3306', '--master-data=2', '--gtid', '--single-transaction', '--routines', '--triggers', '--events', '--result-file=/w/seed.sql', '--databases', 'app', 'game'],
    });
    expect(loadCommand(undefined, '/s/mysqld.sock', '/w/seed.sql')).toEqual({ command: 'mariadb', args: ['--no-defaults', '-S', '/s/mysqld.sock', '-uroot', '--init-command=SET SESSION sql_log_bin = 0', '-e', 'source /w/seed.sql'] });
  });
  it("MySQL: the prefix's mysqldump with GTID_PURGED in the dump, only the defaults file read; the load needs --commands", () => {
    const engine = { kind: 'mysql' as const, prefix: '/opt/mysql' };
    expect(dumpCommand(engine, '/w/.seed.cnf', o, '/w/seed.sql')).toEqual({
      command: '/opt/mysql/bin/mysqldump',
      args: ['--defaults-file=/w/.seed.cnf', '-h', '10.0.0.2', '-P', '3306', '--get-server-public-key', '--init-command=SET SESSION lock_wait_timeout = 2', '--set-gtid-purged=ON', '--no-tablespaces', '--single-transaction', '--routines', '--triggers', '--events', '--result-file=/w/seed.sql', '--databases', 'app', 'game'],
    });
    expect(loadCommand({ kind: 'mysql' }, '/s/mysqld.sock', '/w/seed.sql')).toEqual({ command: 'mysql', args: ['--no-defaults', '-S', '/s/mysqld.sock', '-uroot', '--commands', '--init-command=SET SESSION sql_log_bin = 0', '-e', 'source /w/seed.sql'] });
  });
});

describe('the dump account\'s defaults file', () => {
  // read back by the real option-file parser (MariaDB's my_print_defaults; MySQL's reads the same escapes)
  it.each([['plain', 'secret'], ['quote and backslash', 'a"b\\c'], ['comment sign and spaces', ' p#w x '], ['line breaks and a tab', 'one\npassword=evil\r\tx']])('a password with %s arrives as it is and adds no option', async (_what, password) => {
    const dir = await mkdtemp(join(tmpdir(), 'dbfleet-cnf-'));
    try {
      const file = join(dir, 'seed.cnf');
      await writeFile(file, clientDefaultsFile({ user: 'dbfleet', password }), { mode: 0o600 });
      const { stdout } = await execFileAsync('my_print_defaults', [`--defaults-file=${file}`, 'client']);
      // one option per line as the parser read them: exactly these two, the password whole
      expect(stdout).toBe(`--user=dbfleet\n--password=${password}\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('what the consolidation section says a host runs', () => {
  const base = { hosts: [{ name: 'db-1', base_dir: '/srv', local: true }], ip_provider: { kind: 'loopback', pool: '127.5.5.0/24', allocation_file: '/tmp/a.json' } };
  const parse = (doc: unknown): ReturnType<typeof consolidationSectionSchema.safeParse> => consolidationSectionSchema.safeParse(doc);
  const problems = (doc: unknown): string => {
    const r = parse(doc);
    return r.success ? '' : describeIssues('fleet.yaml', r.error);
  };

  it('MariaDB by default; MySQL for all hosts or one, from PATH or a prefix, a host overriding the section', () => {
    const section = (doc: unknown): NonNullable<ReturnType<typeof consolidationSectionSchema.parse>> => consolidationSectionSchema.parse(doc);
    const s0 = section(base);
    expect(s0.engine).toBe('mariadb');
    expect(s0.seed_method).toBe('auto');
    expect(hostEngine(s0, s0.hosts[0]!)).toEqual({ kind: 'mariadb' });
    const s1 = section({ ...base, engine: 'mysql' });
    expect(hostEngine(s1, s1.hosts[0]!)).toEqual({ kind: 'mysql' });
    const s2 = section({ ...base, engine: 'mysql', mysql_prefix: '/opt/mysql', hosts: [...base.hosts, { name: 'db-2', base_dir: '/srv', local: true, mysql_prefix: '/usr/local/mysql' }, { name: 'db-3', base_dir: '/srv', local: true, engine: 'mariadb' }] });
    expect(s2.hosts.map((h) => hostEngine(s2, h))).toEqual([{ kind: 'mysql', prefix: '/opt/mysql' }, { kind: 'mysql', prefix: '/usr/local/mysql' }, { kind: 'mariadb' }]);
  });

  it.each([
    ['an unknown engine', { ...base, engine: 'postgres' }, /engine: Invalid option: expected one of "mariadb"\|"mysql"/],
    ['a relative prefix', { ...base, engine: 'mysql', mysql_prefix: 'opt/mysql' }, /mysql_prefix: must be an absolute path/],
    ['a prefix where no host runs mysql', { ...base, mysql_prefix: '/opt/mysql' }, /^ {2}mysql_prefix: applies to engine mysql only, and no host runs mysql$/m],
    ['a host prefix on a MariaDB host', { ...base, hosts: [{ ...base.hosts[0], mysql_prefix: '/opt/mysql' }] }, /hosts\[0\]\.mysql_prefix: applies to engine mysql only; db-1 runs mariadb/],
    ['clone asked where a host runs MariaDB', { ...base, seed_method: 'clone' }, /hosts\[0\]\.engine: clone needs engine mysql on every host; db-1 runs mariadb/],
    ['an unknown seed method', { ...base, engine: 'mysql', seed_method: 'rsync' }, /seed_method: Invalid option/],
  ])('refuses %s, naming the field', (_what, doc, message) => {
    expect(problems(doc)).toMatch(message);
  });
});

describe("the root client's batch output", () => {
  it('reads a header line and tab-separated, escaped values; NULL is null', () => {
    expect(parseBatch('a\tb\n1\tx\\ty\\nz\nNULL\t\\\\\n')).toEqual([
      { a: '1', b: 'x\ty\nz' },
      { a: null, b: '\\' },
    ]);
    expect(parseBatch('')).toEqual([]);
  });
});
