import type { Command } from 'commander';
import { hostname, userInfo } from 'node:os';
import { loadFleetConfig } from '../core/config-load.js';
import { UsageError } from '../core/errors.js';
import { resolvePassword } from '../core/secrets.js';
import type { Endpoint, SqlSession } from '../mysql/admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { dnsInit, dnsSetTtl, dnsSetWeight, dnsShow, pickZone, validateSetWeight, type Before } from '../dns/dns-admin.js';
import { formatDsn, parseDsn, type DnsDsn } from '../dns/dns-dsn.js';
import { checkTtl, normalizeZone, parseIntegerArg } from '../dns/dns-names.js';
import { checkDrainInput, drainAddress, listDrains, undrainAddress, type Drain, type DrainResult } from '../dns/drains.js';
import { renderPdnsConfig } from '../dns/pdns-config.js';
import type { NameState } from '../dns/record-types.js';
import { printJson, type CliContext } from './context.js';
import { intOption } from './parse.js';
import { renderTable } from './table.js';

/**
 * `dbfleet dns ...`: the MyDNS database from an operator's seat. Thin: parse, validate input
 * before touching anything, call a use case in src/dns, print before/after.
 */
interface TargetOptions {
  dsn?: string;
  config?: string;
  passwordFile?: string;
  zone?: string;
}

interface Target {
  dsn: DnsDsn;
  password: string | undefined;
  zone: string | undefined;
}

export const DNS_PASSWORD_ENV = 'DBFLEET_DNS_PASSWORD';
const TIMEOUTS = { connectTimeoutMs: 2_000, queryTimeoutMs: 5_000 };
const PASSWORD_PLACEHOLDER = 'PUT-THE-PASSWORD-HERE';

function withTarget(cmd: Command): Command {
  return cmd
    .option('--dsn <url>', `MyDNS database, mysql://USER@HOST:PORT/DATABASE (password from ${DNS_PASSWORD_ENV} or --password-file)`)
    .option('--config <file>', "fleet config whose dns section names the MyDNS database")
    .option('--password-file <file>', 'file holding the database password (mode 0600)')
    .option('--zone <zone>', 'zone (default: the config\'s dns.zone, or the only zone in soa)');
}

/** Where the MyDNS database is and how to log in, from --dsn or --config. Reads no network. */
async function resolveTarget(ctx: CliContext, o: TargetOptions, needPassword: boolean): Promise<Target> {
  if ((o.dsn === undefined) === (o.config === undefined)) throw new UsageError('give exactly one of --dsn URL or --config FILE');
  const zone = o.zone === undefined ? undefined : normalizeZone(o.zone);
  if (o.dsn !== undefined) {
    const dsn = parseDsn(o.dsn);
    let password: string | undefined;
    if (needPassword) {
      password = o.passwordFile !== undefined ? await resolvePassword({ password_file: o.passwordFile }, ctx.env, '--password-file') : ctx.env[DNS_PASSWORD_ENV];
    }
    return { dsn, password, zone };
  }
  const config = await loadFleetConfig(o.config as string);
  const dsn = parseDsn(config.dns.dsn, `${o.config}: dns.dsn`);
  const password = needPassword ? await resolvePassword(o.passwordFile !== undefined ? { password_file: o.passwordFile } : config.dns, ctx.env, 'dns') : undefined;
  return { dsn, password, zone: zone ?? normalizeZone(config.dns.zone) };
}

function endpoint(t: Target, withDatabase: boolean): Endpoint {
  return { host: t.dsn.host, port: t.dsn.port, socketPath: t.dsn.socketPath, user: t.dsn.user, password: t.password, database: withDatabase ? t.dsn.database : undefined };
}

async function withSession<T>(t: Target, withDatabase: boolean, work: (s: SqlSession) => Promise<T>): Promise<T> {
  const session = await openSession(endpoint(t, withDatabase), TIMEOUTS);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

function actor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return `cli:${user}@${hostname()}`;
}

function drainOf(drains: readonly Drain[], name: string, address: string): Drain | undefined {
  return drains.find((d) => d.name === name && d.address === address);
}

function recordsTable(states: readonly NameState[], drains: readonly Drain[]): string {
  const rows = states.flatMap((s) =>
    s.records.map((r) => {
      const d = drainOf(drains, s.name, r.address);
      return [s.name, s.role ?? '-', r.address, String(r.weight), String(r.ttl), r.active ? 'yes' : 'NO', d ? `yes: ${d.reason}` : ''];
    }),
  );
  return renderTable(['name', 'role', 'address', 'weight', 'ttl', 'active', 'drained'], rows);
}

/** `dns show --json`: each record says whether (and why) it is drained. */
function showJson(s: NameState, drains: readonly Drain[]): unknown {
  return {
    ...s,
    records: s.records.map((r) => {
      const d = drainOf(drains, s.name, r.address);
      return { ...r, drained: d !== undefined, drain: d ? { reason: d.reason, actor: d.actor, created_at: d.createdAt } : null };
    }),
  };
}

function beforeAfterTable(r: Before<NameState>, field: 'weight' | 'ttl'): string {
  const addresses = [...new Set([...r.before.records, ...r.after.records].map((x) => x.address))].sort();
  const value = (s: NameState, a: string): string => {
    const rec = s.records.find((x) => x.address === a);
    return rec ? String(rec[field]) : '-';
  };
  const rows = addresses.map((a) => {
    const b = value(r.before, a);
    const after = value(r.after, a);
    return [a, b, after, b === after ? '' : 'changed'];
  });
  return renderTable(['address', `${field} before`, `${field} after`, ''], rows);
}

function printChange(ctx: CliContext, what: string, r: Before<NameState>, field: 'weight' | 'ttl', json: boolean | undefined): void {
  if (json) {
    printJson(ctx, { name: r.after.name, role: r.after.role ?? null, changed: r.changed, serial: r.serial ?? null, before: r.before.records, after: r.after.records });
    return;
  }
  ctx.stdout.write(`${what}${r.changed ? ` (soa serial ${r.serial})` : ': already so, nothing changed'}\n${beforeAfterTable(r, field)}\n`);
}

export function printDrain(ctx: CliContext, verb: 'drain' | 'undrain', r: DrainResult, json: boolean | undefined): void {
  if (json) {
    const drain = r.drain ? { reason: r.drain.reason, actor: r.drain.actor, created_at: r.drain.createdAt } : null;
    printJson(ctx, { name: r.name, address: r.address, changed: r.changed, drained: verb === 'drain', serial: r.serial ?? null, drain, before: r.before.records, after: r.after.records });
    return;
  }
  const head = `${verb} ${r.name} ${r.address}`;
  let line: string;
  if (verb === 'drain') {
    line = r.changed
      ? `${head} (soa serial ${r.serial}): held at weight 0, also by the checker, until: dbfleet dns undrain ${r.name} ${r.address}`
      : `${head}: already drained${r.drain ? ` since ${r.drain.createdAt} by ${r.drain.actor} (${r.drain.reason})` : ''}, nothing changed`;
  } else if (!r.changed) {
    line = `${head}: not drained, nothing changed`;
  } else {
    const weight = r.after.records.find((x) => x.address === r.address)?.weight ?? 0;
    line = `${head} (soa serial ${r.serial}): no longer drained; ${
      weight > 0 ? `weight ${weight}` : `a running checker restores its weight once the instance is healthy (without a checker: --weight N)`
    }`;
  }
  ctx.stdout.write(`${line}\n${beforeAfterTable({ before: r.before, after: r.after, changed: r.changed, serial: r.serial }, 'weight')}\n`);
}

export function registerDnsCommands(program: Command, ctx: CliContext): void {
  const dns = program.command('dns').description('MyDNS records: schema, inspection, weights and TTLs, and the PowerDNS settings that serve them');

  withTarget(dns.command('init'))
    .description('create the MyDNS tables (with rr.weight) or upgrade an existing MyDNS database in place; idempotent')
    .option('--check', 'change nothing; warn about settings that defeat fast failover')
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: TargetOptions & { check?: boolean; json?: boolean }) => {
      const t = await resolveTarget(ctx, opts, true);
      if (t.zone === undefined) throw new UsageError('dns init needs --zone ZONE (or --config with dns.zone)');
      const zone = t.zone;
      const result = await withSession(t, opts.check === true, (s) => dnsInit(s, { zone, database: opts.check ? undefined : t.dsn.database, checkOnly: opts.check === true }));
      if (opts.json) {
        printJson(ctx, { dsn: formatDsn(t.dsn), zone, changes: result.init?.changes ?? null, summary: result.init?.summary ?? null, warnings: result.check.warnings });
        return;
      }
      if (result.init) {
        ctx.stdout.write(`MyDNS database ${formatDsn(t.dsn)}, zone ${zone}: ${result.init.summary}\n`);
        for (const c of result.init.changes) ctx.stdout.write(`  + ${c}\n`);
      }
      if (result.check.warnings.length === 0) ctx.stdout.write('check: no settings found that would slow failover\n');
      for (const w of result.check.warnings) ctx.stdout.write(`warning ${w.code}: ${w.message}\n  next: ${w.next}\n`);
    });

  withTarget(dns.command('show [name]'))
    .description("a name's address records (or every name's): weight, TTL, active")
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string | undefined, opts: TargetOptions & { json?: boolean }) => {
      const t = await resolveTarget(ctx, opts, true);
      const { states, drains } = await withSession(t, true, async (s) => {
        const zone = await pickZone(s, t.zone);
        return { states: await dnsShow(s, zone, name), drains: await listDrains(s, zone) };
      });
      if (opts.json) printJson(ctx, name === undefined ? states.map((x) => showJson(x, drains)) : showJson(states[0] as NameState, drains));
      else ctx.stdout.write(`${recordsTable(states, drains)}\n`);
    });

  withTarget(dns.command('set-weight <name> <address> <weight>'))
    .description('set the weight of one address under a name (0 drains it); compare-and-swap, audited')
    .option('--why <text>', 'reason recorded in the audit table', 'operator set-weight')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, address: string, weightText: string, opts: TargetOptions & { why: string; json?: boolean }) => {
      const weight = parseIntegerArg(weightText, 'weight');
      validateSetWeight(opts.zone, name, address, weight);
      const t = await resolveTarget(ctx, opts, true);
      const r = await withSession(t, true, async (s) => dnsSetWeight(s, await pickZone(s, t.zone), { name, address, weight }, { actor: actor(), why: opts.why }, { logger: ctx.logger }));
      printChange(ctx, `set-weight ${r.after.name} ${address} -> ${weight}`, r, 'weight', opts.json);
    });

  withTarget(dns.command('drain <name> <address>'))
    .description('take an address out of a name for maintenance: weight 0, held there (the checker does not restore it) until undrain; audited')
    .option('--reason <text>', 'why, recorded on the drain and in the audit table', 'operator drain')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, address: string, opts: TargetOptions & { reason: string; json?: boolean }) => {
      const reason = checkDrainInput(opts.zone, name, address, opts.reason);
      const t = await resolveTarget(ctx, opts, true);
      const r = await withSession(t, true, async (s) => drainAddress(s, await pickZone(s, t.zone), name, address, { actor: actor(), reason }, { logger: ctx.logger }));
      printDrain(ctx, 'drain', r, opts.json);
    });

  withTarget(dns.command('undrain <name> <address>'))
    .description('end a drain: a running checker restores the weight once the instance is healthy; --weight sets it now')
    .option('--weight <n>', 'also set the weight now (for a fleet without a running checker)')
    .option('--reason <text>', 'why, recorded in the audit table', 'operator undrain')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, address: string, opts: TargetOptions & { weight?: string; reason: string; json?: boolean }) => {
      const weight = opts.weight === undefined ? undefined : parseIntegerArg(opts.weight, 'weight');
      const reason = checkDrainInput(opts.zone, name, address, opts.reason, weight);
      const t = await resolveTarget(ctx, opts, true);
      const r = await withSession(t, true, async (s) => undrainAddress(s, await pickZone(s, t.zone), name, address, { actor: actor(), reason, weight }, { logger: ctx.logger }));
      printDrain(ctx, 'undrain', r, opts.json);
    });

  withTarget(dns.command('set-ttl <name> <seconds>'))
    .description('set the TTL of every record of a name; compare-and-swap, audited')
    .option('--why <text>', 'reason recorded in the audit table', 'operator set-ttl')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, secondsText: string, opts: TargetOptions & { why: string; json?: boolean }) => {
      const ttl = checkTtl(parseIntegerArg(secondsText, 'seconds'), 'TTL');
      const t = await resolveTarget(ctx, opts, true);
      const r = await withSession(t, true, async (s) => dnsSetTtl(s, await pickZone(s, t.zone), { name, ttl }, { actor: actor(), why: opts.why }, { logger: ctx.logger }));
      printChange(ctx, `set-ttl ${r.after.name} -> ${ttl}`, r, 'ttl', opts.json);
    });

  withTarget(dns.command('pdns-config'))
    .description('print PowerDNS (gmysql) settings that serve the MyDNS tables directly, skipping weight-0 rows')
    .option('--port <port>', 'port PowerDNS listens on', intOption('--port', 1, 65535), 5300)
    .option('--address <ip>', 'address PowerDNS listens on', '127.0.0.1')
    .option('--db-user <user>', 'MySQL user PowerDNS logs in as (default: the DSN user; a SELECT-only user is enough)')
    .action(async (opts: TargetOptions & { port: number; address: string; dbUser?: string }) => {
      const t = await resolveTarget(ctx, opts, false);
      const user = opts.dbUser ?? t.dsn.user;
      if (!/^[A-Za-z0-9_.$-]{1,80}$/.test(user)) throw new UsageError(`--db-user ${JSON.stringify(user)} is not a MySQL user name`);
      const text = renderPdnsConfig({
        port: opts.port,
        address: opts.address,
        zone: t.zone,
        db: { host: t.dsn.socketPath ? undefined : t.dsn.host, socket: t.dsn.socketPath, port: t.dsn.port, user, password: '', dbname: t.dsn.database },
        passwordPlaceholder: PASSWORD_PLACEHOLDER,
      });
      ctx.stdout.write(
        `# Save as pdns.conf (chmod 600: it holds the database password) and run: pdns_server --config-dir=DIR\n` +
          `# Replace ${PASSWORD_PLACEHOLDER} below with the password of MySQL user ${user}; keep it out of command lines.\n` +
          `# A user with SELECT on ${t.dsn.database}.soa and ${t.dsn.database}.rr is all PowerDNS needs.\n${text}`,
      );
    });
}
