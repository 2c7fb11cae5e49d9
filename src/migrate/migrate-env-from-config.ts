import { hostname, userInfo } from 'node:os';
import type { Logger } from '../core/logger.js';
import type { Endpoint, SqlSession, Timeouts } from '../mysql/admin.js';
import { openSession } from '../mysql/mysql2-session.js';
import { loadMigrateConfig, resolveMigrateSecrets } from './migrate-config.js';
import { sideConnector } from './migrate-connect.js';
import type { MigrateEnv } from './migrate-env.js';

export interface LoadedMigrateEnv {
  env: MigrateEnv;
  /** Opens a session as the replication user (preflight's login check). */
  replicationLogin: (host: string, port: number) => Promise<SqlSession>;
  dnsEndpoint: Endpoint;
}

/** Loads migrate.yaml, resolves its secrets and wires the real adapters: what the CLI, tests and the benchmark share. */
export async function migrateEnvFromConfig(file: string, o: { env: Readonly<Record<string, string | undefined>>; logger: Logger; actor?: string }): Promise<LoadedMigrateEnv> {
  const config = await loadMigrateConfig(file);
  const secrets = await resolveMigrateSecrets(config, o.env, file);
  const timeouts: Timeouts = { connectTimeoutMs: config.cutover.connect_timeout_ms, queryTimeoutMs: config.cutover.query_timeout_ms };
  const dnsEndpoint = secrets.dnsEndpoint;
  return {
    env: {
      config,
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
