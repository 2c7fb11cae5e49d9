import { stringify } from 'yaml';
import type { FleetConfigInput } from '../core/config-schema.js';
import { APP_DATABASE, MYDNS_DATABASE, passwordFile } from './sandbox-secrets.js';
import type { SandboxState } from './sandbox-state.js';

/**
 * The fleet config for a sandbox: the checker, the probe and the dns commands run against it
 * unchanged. Passwords are referenced by file, never inlined.
 */
export function sandboxFleetConfig(state: SandboxState): FleetConfigInput {
  return {
    dns: {
      dsn: `mysql://dbfleet@${state.dnsDb.host}:${state.dnsDb.port}/${MYDNS_DATABASE}`,
      zone: state.dns.zone,
      password_file: passwordFile(state.dir, 'dbfleet'),
      ...(state.dns.server ? { server: state.dns.server } : {}),
    },
    mysql: { user: 'dbfleet', password_file: passwordFile(state.dir, 'dbfleet') },
    probe: { user: 'app', password_file: passwordFile(state.dir, 'app'), database: APP_DATABASE, table: 'writes' },
    replication: { user: 'repl', password_file: passwordFile(state.dir, 'repl') },
    switchover: { app_users: ['app'] },
    checker: { interval_ms: 200, connect_timeout_ms: 500, query_timeout_ms: 500, fail_after: 2, recover_after: 3, fallback_weight: 100 },
    clusters: state.clusters.map((c) => ({
      name: c.name,
      // MariaDB or MySQL stands in for Aurora here; the role query is @@read_only (innodb_read_only
      // is start-up only outside Aurora, so a reader started with it could not replicate).
      engine: state.engine.kind,
      writer_record: c.writer_record,
      reader_record: c.reader_record,
      instances: c.instances.map((i) => ({ id: i.id, host: i.host, port: i.port })),
    })),
  };
}

export function renderFleetConfig(state: SandboxState): string {
  return `# written by dbfleet sandbox up for ${state.dir}; passwords are in ${state.dir}/secrets (0600)\n${stringify(sandboxFleetConfig(state))}`;
}
