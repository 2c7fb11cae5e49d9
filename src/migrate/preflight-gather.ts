import { errorMessage } from '../core/errors.js';
import { directResolver, queryA } from '../dns/dns-query.js';
import { listRecords } from '../dns/record-store.js';
import type { MysqlAdmin, SqlSession } from '../mysql/admin.js';
import { asSwitch } from '../mysql/row-values.js';
import { gtidModeOf } from './gtid-mode-read.js';
import { dialectOf } from './migrate-connect.js';
import { WriterConnections, withDns, type MigrateEnv } from './migrate-env.js';
import { evaluatePreflight, type CheckResult, type DefinerFacts, type Fact, type GtidFacts, type PreflightFacts } from './preflight-checks.js';
import { grantedGlobalPrivileges, readOnlyBypassPrivileges } from './write-user-audit.js';
import { accountState, account, frozenName, grantsOf, type WriteUser } from './write-user-rename.js';

async function fact<T>(work: () => Promise<T>): Promise<Fact<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
}

const DDL = '^[[:space:]]*(ALTER|CREATE|DROP|RENAME|TRUNCATE|OPTIMIZE|REPAIR)[[:space:]]';

/**
 * Reads every fact preflight needs, read-only: roles, replication, binlog settings, accounts and
 * grants, the records (and PowerDNS's answer), a login as the replication user, open transactions,
 * running DDL, and whether the admin may set sql_log_bin (its own session's, to the value it has). A fact that cannot be read is a failed check with the error as its evidence.
 */
export async function gatherPreflight(env: MigrateEnv, replicationLogin: (host: string, port: number) => Promise<SqlSession>): Promise<PreflightFacts> {
  const c = env.config;
  const { source, target } = env.sides;
  const conns = new WriterConnections(env);
  try {
    const src = await fact(() => conns.get(source));
    const tgt = await fact(() => conns.get(target));
    const on = <T>(a: Fact<MysqlAdmin>, work: (x: MysqlAdmin) => Promise<T>): Promise<Fact<T>> => (a.ok ? fact(() => work(a.value)) : Promise.resolve(a));
    const login = (host: string, port: number) => fact(async () => {
      const s = await replicationLogin(host, port);
      await s.close();
      return true as const;
    });
    const names = async (n: string) => (await withDns(env, (s) => listRecords(s, c.dns.zone, n))).records.filter((r) => r.active).map((r) => ({ address: r.address, weight: r.weight }));
    const served = c.dns.server
      ? await fact(async () => {
          const [host, port] = (c.dns.server as string).split(':');
          return (await queryA(directResolver(host as string, Number(port), 1000), `${c.dns.writer_record}.${c.dns.zone.replace(/\.$/, '')}`)).map((a) => a.address);
        })
      : undefined;
    return {
      source: {
        id: source.writer.id,
        address: `${source.writer.host}:${source.writer.port}`,
        role: await on(src, (a) => a.role()),
        longTransactions: await on(src, async (a) =>
          (await a.session.query("SELECT t.trx_mysql_thread_id AS id, COALESCE(p.USER, '?') AS user, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS seconds FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id")).map((r) => ({ id: Number(r['id']), user: String(r['user']), seconds: Number(r['seconds']) })),
        ),
        ddl: await on(src, async (a) =>
          (await a.session.query(`SELECT ID AS id, USER AS user, TIME AS seconds, LEFT(INFO, 120) AS statement FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO REGEXP ?`, [DDL])).map((r) => ({ id: Number(r['id']), user: String(r['user']), seconds: Number(r['seconds']), statement: String(r['statement']) })),
        ),
        sqlLogBin: await on(src, async (a) => {
          // a session variable set to the value it has: the privilege check, and no change
          await a.session.query('SET SESSION sql_log_bin = @@SESSION.sql_log_bin');
          return true as const;
        }),
      },
      target: {
        id: target.writer.id,
        address: `${target.writer.host}:${target.writer.port}`,
        role: await on(tgt, (a) => a.role()),
        replica: await on(tgt, (a) => a.replicaStatus()),
        binlog: await on(tgt, async (a) => {
          const row = (await a.session.query('SELECT @@GLOBAL.log_bin AS log_bin, @@GLOBAL.binlog_format AS format'))[0] ?? {};
          return { logBin: asSwitch(row['log_bin'], 'log_bin'), format: String(row['format']) };
        }),
        readers: target.readers.length,
      },
      users: await Promise.all(
        c.write_users.map(async (u) => ({
          user: u.user,
          host: u.host,
          source: await on(src, (a) => grantsOf(a.session, u)),
          target: await on(tgt, async (a) => {
            const st = await accountState(a.session, u);
            return grantsOf(a.session, u, st.frozen && !st.active ? { as: frozenName(u.user) } : {});
          }),
          frozenOnSource: await on(src, async (a) => (await accountState(a.session, u)).frozen),
          onTarget: await on(tgt, (a) => accountState(a.session, u)),
        })),
      ),
      writers: await otherWriters(src, tgt, [...new Set(c.write_users.map((u) => u.user))]),
      dns: { writerName: c.dns.writer_record, readerName: c.dns.reader_record, writer: await fact(() => names(c.dns.writer_record)), reader: await fact(() => names(c.dns.reader_record)), served },
      replicationLogin: { target: await login(target.writer.host, target.writer.port), source: await login(source.writer.host, source.writer.port) },
      gtid: { source: await on(src, gtidFacts), target: await on(tgt, gtidFacts) },
      definers: { source: await on(src, (a) => definerFacts(a, c.write_users)), target: await on(tgt, (a) => definerFacts(a, c.write_users)) },
      limits: { maxLagS: c.cutover.max_lag_s, longTransactionS: c.cutover.long_transaction_s },
    };
  } finally {
    await conns.closeAll();
  }
}

async function gtidFacts(a: MysqlAdmin): Promise<GtidFacts> {
  return { mode: await gtidModeOf(a), canAssign: dialectOf(a).assignGtidsToAnonymous() !== undefined };
}

/** The same on every engine: information_schema's DEFINER columns read `user@host`. */
function definerQuery(n: number): string {
  const list = Array.from({ length: n }, () => '?').join(', ');
  return [
    `SELECT 'view' AS kind, CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS name, DEFINER AS definer FROM information_schema.VIEWS WHERE DEFINER IN (${list})`,
    `SELECT LOWER(ROUTINE_TYPE), CONCAT(ROUTINE_SCHEMA, '.', ROUTINE_NAME), DEFINER FROM information_schema.ROUTINES WHERE DEFINER IN (${list})`,
    `SELECT 'trigger', CONCAT(TRIGGER_SCHEMA, '.', TRIGGER_NAME), DEFINER FROM information_schema.TRIGGERS WHERE DEFINER IN (${list})`,
    `SELECT 'event', CONCAT(EVENT_SCHEMA, '.', EVENT_NAME), DEFINER FROM information_schema.EVENTS WHERE DEFINER IN (${list})`,
  ].join(' UNION ALL ') + ' ORDER BY 1, 2';
}

/** Views, routines, triggers and events a write user defines, and whether this admin's RENAME USER still goes through (dialect). */
async function definerFacts(a: MysqlAdmin, users: readonly WriteUser[]): Promise<DefinerFacts> {
  const definers = users.map((u) => `${u.user}@${u.host}`);
  const objects = (await a.session.query(definerQuery(definers.length), [...definers, ...definers, ...definers, ...definers])).map((r) => ({ kind: String(r['kind']), name: String(r['name']), definer: String(r['definer']) }));
  const override = dialectOf(a).renameDefinerOverridePrivileges();
  if (objects.length === 0 || override === undefined) return { objects, override, adminHas: [] };
  const own = grantedGlobalPrivileges((await a.session.query('SHOW GRANTS')).map((r) => String(Object.values(r)[0])));
  return { objects, override, adminHas: override.filter((p) => own.has(p)) };
}

/** Host entries of the listed user names, their read_only-bypassing privileges, and the source's events. */
async function otherWriters(src: Fact<MysqlAdmin>, tgt: Fact<MysqlAdmin>, names: string[]): Promise<PreflightFacts['writers']> {
  const entries = async (a: MysqlAdmin) =>
    (await a.session.query(`SELECT User AS user, Host AS host FROM mysql.user WHERE User IN (${names.map(() => '?').join(', ')}) ORDER BY User, Host`, names)).map((r) => ({ user: String(r['user']), host: String(r['host']) }));
  const on = <T>(a: Fact<MysqlAdmin>, work: (x: MysqlAdmin) => Promise<T>): Promise<Fact<T>> => (a.ok ? fact(() => work(a.value)) : Promise.resolve(a));
  return {
    hostEntries: await on(src, entries),
    bypass: await on(src, async (a) => {
      const out: { account: string; on: string; privileges: string[] }[] = [];
      for (const [side, x] of [['source', a], ['target', tgt.ok ? tgt.value : undefined]] as const) {
        if (!x) continue;
        // Step 3 sets the source's full read-only: MySQL's super_read_only stops SUPER / CONNECTION_ADMIN too.
        if (side === 'source' && dialectOf(x).readOnlyBypassPrivileges().length === 0) continue;
        for (const e of await entries(x)) {
          const grants = (await x.session.query(`SHOW GRANTS FOR ${account(e.user, e.host)}`)).map((r) => String(Object.values(r)[0]));
          const privileges = readOnlyBypassPrivileges(grants);
          if (privileges.length) out.push({ account: `'${e.user}'@'${e.host}'`, on: side, privileges });
        }
      }
      return out;
    }),
    sourceReadOnlyStopsAll: src.ok && dialectOf(src.value).readOnlyBypassPrivileges().length === 0,
    events: await on(src, async (a) => ({
      scheduler: String((await a.session.query('SELECT @@GLOBAL.event_scheduler AS s'))[0]?.['s']),
      enabled: (await a.session.query("SELECT CONCAT(EVENT_SCHEMA, '.', EVENT_NAME) AS e FROM information_schema.EVENTS WHERE STATUS = 'ENABLED' ORDER BY 1")).map((r) => String(r['e'])),
    })),
  };
}

export interface PreflightReport {
  ok: boolean;
  checks: CheckResult[];
}

/** `migrate preflight`: every precondition with its evidence; changes nothing. */
export async function migratePreflight(env: MigrateEnv, replicationLogin: (host: string, port: number) => Promise<SqlSession>): Promise<PreflightReport> {
  const checks = evaluatePreflight(await gatherPreflight(env, replicationLogin));
  return { ok: checks.every((x) => x.ok), checks };
}

