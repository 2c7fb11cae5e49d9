import { loadFleetConfig } from '../core/config-load.js';
import { ConfigError } from '../core/errors.js';
import type { FleetConfig } from '../core/config-schema.js';
import { resolvePassword } from '../core/secrets.js';
import { parseDsn } from '../dns/dns-dsn.js';
import type { Endpoint } from '../mysql/admin.js';
import type { CliContext } from './context.js';

/** A loaded fleet config with its secrets resolved: what the checker and the probe run on. */
export interface FleetContext {
  config: FleetConfig;
  configFile: string;
  /** The MyDNS database, with its password. */
  dnsEndpoint: Endpoint;
  zone: string;
  /** PowerDNS "host:port" when the config names one. */
  dnsServer: string | undefined;
  mysqlUser: string;
  mysqlPassword: string | undefined;
}

/** Loads and validates the config, then resolves every password (env or 0600 file) once, here. */
export async function loadFleetContext(ctx: CliContext, file: string): Promise<FleetContext> {
  const config = await loadFleetConfig(file);
  const dsn = parseDsn(config.dns.dsn, `${file}: dns.dsn`);
  const dnsPassword = await resolvePassword(config.dns, ctx.env, 'dns');
  return {
    config,
    configFile: file,
    dnsEndpoint: { host: dsn.host, port: dsn.port, user: dsn.user, password: dnsPassword, database: dsn.database },
    zone: config.dns.zone,
    dnsServer: config.dns.server,
    mysqlUser: config.mysql.user,
    mysqlPassword: await resolvePassword(config.mysql, ctx.env, 'mysql'),
  };
}

export function requireCluster(fleet: FleetContext, name: string): FleetConfig['clusters'][number] {
  const c = fleet.config.clusters.find((x) => x.name === name);
  if (!c) {
    throw new ConfigError(`no cluster named ${name} in ${fleet.configFile}; it has ${fleet.config.clusters.map((x) => x.name).join(', ') || 'none'}`, {
      next: 'pass one of the cluster names above with --cluster',
    });
  }
  return c;
}
