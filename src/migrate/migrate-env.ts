import type { Logger } from '../core/logger.js';
import type { MysqlAdmin, SqlSession } from '../mysql/admin.js';
import { boundLockWaits } from './lock-bounds.js';
import type { MigrateConfig } from './migrate-schema.js';
import type { SideConnector } from './migrate-connect.js';
import type { Side, Sides } from './sides.js';

/** Everything the migration use cases act through; built once by the CLI, a test or the benchmark. */
export interface MigrateEnv {
  config: MigrateConfig;
  /** Source and target with their instances (listed, or discovered from RDS when the command started). */
  sides: Sides;
  /** Resolved once at the edge; never logged. */
  secrets: { admin: string; replication: string };
  connect: SideConnector;
  openDns: () => Promise<SqlSession>;
  logger: Logger;
  /** Who the DNS audit rows name. */
  actor: string;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Admin connections to each side's writer, opened on first use and reused by every step. Each is
 * opened with its lock waits bounded on the server (cutover.lock_wait_s). A failed phase's undo
 * asks for fresh ones (discardAll): the failure may have been the connection itself (killed,
 * timed out, lost), and a session that gave up on a statement is closed for good.
 */
export class WriterConnections {
  private readonly open = new Map<string, Promise<MysqlAdmin>>();
  constructor(private readonly env: MigrateEnv) {}

  get(side: Side): Promise<MysqlAdmin> {
    let a = this.open.get(side.role);
    if (!a) {
      const opened = this.connect(side);
      // a failed open is not cached (only if it is still the one cached: a discard may have replaced it)
      opened.catch(() => this.open.get(side.role) === opened && this.open.delete(side.role));
      this.open.set(side.role, opened);
      a = opened;
    }
    return a;
  }

  /** Drops every connection (its socket at once: it may be dead or stuck); the next get opens a fresh one. */
  discardAll(): void {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) void p.then((a) => a.session.destroy(), () => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  private async connect(side: Side): Promise<MysqlAdmin> {
    const a = await this.env.connect(side.engine, { host: side.writer.host, port: side.writer.port, user: this.env.config.admin.user, password: this.env.secrets.admin });
    try {
      await boundLockWaits(a.session, this.env.config.cutover.lock_wait_s);
    } catch (e) {
      a.session.destroy();
      throw e;
    }
    return a;
  }
}

export async function withDns<T>(env: MigrateEnv, work: (s: SqlSession) => Promise<T>): Promise<T> {
  const s = await env.openDns();
  try {
    return await work(s);
  } finally {
    await s.close();
  }
}
