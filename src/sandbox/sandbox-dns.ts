import { join } from 'node:path';
import { registerCluster } from '../dns/cluster-records.js';
import { startPowerDns } from '../dns/pdns-process.js';
import { initSchema } from '../dns/schema-init.js';
import { openSession } from '../mysql/mysql2-session.js';
import { SANDBOX_TIMEOUTS, type SandboxDeps } from './sandbox-deps.js';
import { MYDNS_DATABASE } from './sandbox-secrets.js';
import type { SandboxState } from './sandbox-state.js';

/** PowerDNS listens on the sandbox's own DNS address, on a high port (no root needed). */
export const PDNS_PORT = 15353;

/**
 * The DNS half of the sandbox: the MyDNS tables in the sandbox's own database, every cluster
 * registered as in the seed's tables (writer name -> the writer; reader name -> every reader at
 * weight 100 and the writer at weight 0), and PowerDNS answering from those tables.
 */
export async function startSandboxDns(deps: SandboxDeps, state: SandboxState, dbfleetPassword: string): Promise<void> {
  const session = await openSession(
    { host: state.dnsDb.host, port: state.dnsDb.port, user: 'dbfleet', password: dbfleetPassword, database: MYDNS_DATABASE },
    SANDBOX_TIMEOUTS,
  );
  try {
    await initSchema(session, { zone: state.dns.zone });
    for (const c of state.clusters) {
      const writer = c.instances.find((i) => i.role === 'writer');
      if (!writer) continue;
      await registerCluster(
        session,
        state.dns.zone,
        { writerName: c.writer_record, readerName: c.reader_record, writer: writer.host, readers: c.instances.filter((i) => i !== writer).map((i) => i.host), ttl: 1 },
        { actor: 'sandbox', why: `sandbox up: register ${c.name}` },
      );
    }
  } finally {
    await session.close();
  }
  const pdns = await startPowerDns(deps.host, {
    dir: join(state.dir, 'pdns'),
    address: state.dnsDb.host,
    port: PDNS_PORT,
    db: { socket: state.dnsDb.socket, user: 'dbfleet', password: dbfleetPassword, dbname: MYDNS_DATABASE },
    zone: state.dns.zone,
    logger: deps.logger,
  });
  state.dns.server = pdns.server;
  state.dns.pdnsPid = pdns.pid;
}
