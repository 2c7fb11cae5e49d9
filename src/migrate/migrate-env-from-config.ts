import { hostname, userInfo } from 'node:os';
import type { Logger } from '../core/logger.js';
import type { Endpoint, SqlSession, Timeouts } from '../mysql/admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { loadMigrateConfig, resolveMigrateSecrets } from './migrate-config.js';
import { sideConnector } from './migrate-connect.js';
import type { MigrateEnv } from './migrate-env.js';
import { sidesOf } from './sides.js';
import { discoverTarget } from './target-discovery.js';
import type { RdsApi } from '../aws/rds-api.js';
import { createRdsApi } from '../aws/rds-sdk-api.js';
import { dnsResolver, type ResolveAddress } from '../failover/topology/endpoint-resolver.js';

export interface LoadedMigrateEnv {
  env: MigrateEnv;
  /** Opens a session as the replication user (preflight's login check). */
  replicationLogin: (host: string, port: number) => Promise<SqlSession>;
  dnsEndpoint: Endpoint;
}

/** Loads migrate.yaml, resolves its secrets and wires the real adapters: what the CLI, tests and the benchmark share. */
export interface MigrateEnvOptions {
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  actor?: string;
  /** For `target.discover`: the RDS API (default: the SDK's, in the configured region) and how endpoints become addresses (default: DNS). */
  rds?: Pick<RdsApi, 'describeAuroraCluster'>;
  resolve?: ResolveAddress;
}

export async function migrateEnvFromConfig(file: string, o: MigrateEnvOptions): Promise<LoadedMigrateEnv> {
  const config = await loadMigrateConfig(file);
  const secrets = await resolveMigrateSecrets(config, o.env, file);
  const discover = config.target.discover;
  const discovered = discover ? await discoverTarget(o.rds ?? createRdsApi({ region: discover.region }), discover.rds_cluster, o.resolve ?? dnsResolver()) : undefined;
  if (discovered) o.logger.info({ rds_cluster: discover?.rds_cluster, writer: discovered.writer, readers: discovered.readers }, 'migrate: target discovered from RDS');
  const timeouts: Timeouts = { connectTimeoutMs: config.cutover.connect_timeout_ms, queryTimeoutMs: config.cutover.query_timeout_ms };
  const dnsEndpoint = secrets.dnsEndpoint;
  return {
    env: {
      config,
      sides: sidesOf(config, discovered),
      secrets: { admin: secrets.admin, replication: secrets.replication },
      connect: sideConnector(timeouts, o.logger),
      openDns: () => openSession(dnsEndpoint, timeouts),
      logger: o.logger,
      actor: o.actor ?? `migrate:${userInfo().username}@${hostname()}`,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    },
    replicationLogin: (host, port) => openSession({ host, port, user: config.replication.user, password: secrets.replication }, timeouts),
    dnsEndpoint,
  };
}
