import { loadYaml } from '../core/config-load.js';
import { ConfigError } from '../core/errors.js';
import { resolvePassword } from '../core/secrets.js';
import { parseDsn } from '../dns/dns-dsn.js';
import type { Endpoint } from '../mysql/admin.js';
import { migrateConfigSchema, type MigrateConfig } from './migrate-schema.js';

export function loadMigrateConfig(file: string): Promise<MigrateConfig> {
  return loadYaml(migrateConfigSchema, file);
}

export interface MigrateSecrets {
  admin: string;
  replication: string;
  dnsEndpoint: Endpoint;
}

/** Resolves every password once, at the edge (env or 0600 file); a missing one names its field. */
export async function resolveMigrateSecrets(config: MigrateConfig, env: Readonly<Record<string, string | undefined>>, file: string): Promise<MigrateSecrets> {
  const need = async (source: Parameters<typeof resolvePassword>[0], field: string): Promise<string> => {
    const v = await resolvePassword(source, env, field);
    if (v === undefined) throw new ConfigError(`${file}: ${field} needs password_file or password_env`);
    return v;
  };
  const dsn = parseDsn(config.dns.dsn, `${file}: dns.dsn`);
  return {
    admin: await need(config.admin, 'admin'),
    replication: await need(config.replication, 'replication'),
    dnsEndpoint: { host: dsn.host, port: dsn.port, user: dsn.user, password: await need(config.dns, 'dns'), database: dsn.database },
  };
}
