import { join } from 'node:path';
import { loadFleetConfig } from '../../core/config-load.js';
import type { CheckerSection, FleetConfig } from '../../core/config-schema.js';
import type { Logger } from '../../core/logger.js';
import { listAllRecords } from '../../dns/record-store.js';
import { parseDsn } from '../../dns/dns-dsn.js';
import { LocalHost } from '../../host/local-host.js';
import { connectAdmin } from '../../mysql/connect-admin.js';
import { openSession } from '../../mysql/mysql2-session.js';
import { greetingCheck } from '../probe/greeting-check.js';
import type { SandboxDeps } from '../../sandbox/sandbox-deps.js';
import { sandboxFailover } from '../../sandbox/sandbox-failover.js';
import { readPasswords } from '../../sandbox/sandbox-secrets.js';
import { requireState } from '../../sandbox/sandbox-state.js';
import { CheckerService } from '../service/checker-service.js';
import type { DrillTarget } from './failover-drill.js';

/** A checker service for a sandbox, in this process, with optional timing overrides. */
export async function sandboxChecker(dir: string, logger: Logger, overrides: Partial<CheckerSection> = {}): Promise<{ service: CheckerService; config: FleetConfig }> {
  const base = await loadFleetConfig(join(dir, 'fleet.yaml'));
  const config: FleetConfig = { ...base, checker: { ...base.checker, ...overrides } };
  const { dbfleet } = await readPasswords(new LocalHost(), dir);
  const dsn = parseDsn(config.dns.dsn);
  const service = new CheckerService({
    config,
    dnsEndpoint: { host: dsn.host, port: dsn.port, user: dsn.user, password: dbfleet, database: dsn.database },
    credentials: { user: 'dbfleet', password: dbfleet },
    checkerId: `drill:${process.pid}`,
    logger,
    host: new LocalHost(),
    connectors: { connectAdmin, openSession, greeting: greetingCheck },
    openSession,
  });
  await service.start();
  return { service, config };
}

/**
 * The drill target for one sandbox cluster: failovers are the sandbox's simulated Aurora
 * failovers; "settled" means the checker has put the records in the seed's end state (writer
 * record on the new writer; reader record: writer 0, every other instance 100) and the
 * anti-flapping window since the last flip has passed.
 */
export async function sandboxDrillTarget(deps: SandboxDeps, dir: string, cluster: string, config: FleetConfig, logger: Logger): Promise<DrillTarget> {
  const state = await requireState(dir);
  const c = state.clusters.find((x) => x.name === cluster);
  if (!c) throw new Error(`no cluster ${cluster}`);
  const passwords = await readPasswords(deps.host, dir);
  const dnsEndpoint = { host: state.dnsDb.host, port: 3306, user: 'dbfleet', password: passwords.dbfleet, database: 'mydns' };
  let lastFlip = 0;
  const settled = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const s = await requireState(dir);
      const sc = s.clusters.find((x) => x.name === cluster);
      const writer = sc?.instances.find((i) => i.role === 'writer')?.host;
      const session = await openSession(dnsEndpoint, { connectTimeoutMs: 500, queryTimeoutMs: 2_000 });
      const names = await listAllRecords(session, config.dns.zone).finally(() => session.close());
      const w = names.find((n) => n.name === c.writer_record)?.records.map((r) => r.address);
      const r = names.find((n) => n.name === c.reader_record)?.records ?? [];
      const seedEnd = w?.length === 1 && w[0] === writer && r.every((x) => x.weight === (x.address === writer ? 0 : 100));
      if (seedEnd && Date.now() - lastFlip > config.checker.writer_flip_min_interval_ms + 200) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`${cluster} did not settle within 30 s`);
  };
  return {
    cluster,
    writerName: c.writer_record,
    readerName: c.reader_record,
    zone: config.dns.zone,
    dnsEndpoint,
    dnsServer: state.dns.server ?? '',
    app: { user: 'app', password: passwords.app, database: 'app', table: 'writes' },
    addresses: new Map(c.instances.map((i) => [i.id, i.host])),
    failover: async () => {
      const report = await sandboxFailover(deps, { dir, cluster });
      lastFlip = Date.now();
      return report;
    },
    settled,
    logger,
  };
}
