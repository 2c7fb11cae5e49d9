import type { Logger } from '../core/logger.js';
import type { MysqlAdmin, SqlSession } from '../mysql/admin.js';
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

/** Admin connections to each side's writer, opened on first use and reused by every step. */
export class WriterConnections {
  private readonly open = new Map<string, Promise<MysqlAdmin>>();
  constructor(private readonly env: MigrateEnv) {}

  get(side: Side): Promise<MysqlAdmin> {
    let a = this.open.get(side.role);
    if (!a) {
      a = this.env.connect(side.engine, { host: side.writer.host, port: side.writer.port, user: this.env.config.admin.user, password: this.env.secrets.admin });
      a.catch(() => this.open.delete(side.role));
      this.open.set(side.role, a);
    }
    return a;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
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
