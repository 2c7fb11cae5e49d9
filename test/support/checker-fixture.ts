import type { FleetConfig, CheckerSection } from '../../src/core/config-schema.js';
import type { Logger } from '../../src/core/logger.js';
import { silentLogger } from '../../src/core/logger.js';
import { LocalHost } from '../../src/host/local-host.js';
import { connectAdmin } from '../../src/mysql/connect-admin.js';
import type { Dialect } from '../../src/mysql/dialect.js';
import { openSession } from '../../src/mysql/mysql2-session.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion } from '../../src/mysql/server-version.js';
import type { Statement } from '../../src/mysql/statement.js';
import { greetingCheck } from '../../src/failover/probe/greeting-check.js';
import { CheckerService, type CheckerServiceOptions } from '../../src/failover/service/checker-service.js';
import type { SandboxFixture } from './sandbox-fixture.js';

/** A checker service running in the test process against a sandbox, with test-speed timings. */
export function startChecker(
  fx: SandboxFixture,
  overrides: Partial<CheckerSection> = {},
  logger: Logger = silentLogger,
  id = `test-${Math.random().toString(36).slice(2, 8)}`,
  extra: { clusters?: FleetConfig['clusters']; rdsFor?: CheckerServiceOptions['rdsFor'] } = {},
): Promise<CheckerService> {
  const config: FleetConfig = {
    ...fx.config,
    clusters: extra.clusters ?? fx.config.clusters,
    checker: { ...fx.config.checker, interval_ms: 100, connect_timeout_ms: 300, query_timeout_ms: 300, fail_after: 2, recover_after: 2, writer_flip_min_interval_ms: 0, ...overrides },
  };
  const svc = new CheckerService({
    config,
    dnsEndpoint: fx.dnsEndpoint,
    credentials: { user: 'dbfleet', password: fx.passwords.dbfleet },
    checkerId: id,
    logger,
    host: new LocalHost(),
    connectors: { connectAdmin, openSession, greeting: greetingCheck },
    openSession,
    rdsFor: extra.rdsFor,
  });
  return svc.start().then(() => svc);
}

/**
 * The dialect of a sandbox instance, from the @@version `sandbox up` recorded: tests that change
 * an instance behind the checker's back (promote a reader by hand, restart replication, turn
 * read-only on or off) use the statements dbfleet itself would send to that engine
 * (MariaDB: read_only; MySQL: read_only and super_read_only, REPLICA keywords).
 */
export async function instanceDialect(fx: SandboxFixture, id: string): Promise<Dialect> {
  const inst = await fx.instance(id);
  if (!inst.version) throw new Error(`${id}: the sandbox state has no server version`);
  return dialectFor(parseServerVersion({ version: inst.version }));
}

/** Runs dialect statements (without parameters) as root on a sandbox instance. */
export async function runStatements(fx: SandboxFixture, id: string, build: (d: Dialect) => Statement[]): Promise<string> {
  const statements = build(await instanceDialect(fx, id));
  for (const s of statements) if (s.params.length > 0 || s.secrets.length > 0) throw new Error(`runStatements takes no parameters or secrets: ${s.redacted}`);
  return fx.sql(id, statements.map((s) => s.sql).join('; '));
}
