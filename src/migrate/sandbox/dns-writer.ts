import { DowntimeMeter, type MeterReport } from '../../failover/meter/downtime-meter.js';
import { missingWrites } from '../../failover/meter/lost-writes.js';
import { resolverLookup } from '../../failover/meter/name-lookups.js';
import type { Endpoint } from '../../mysql/admin.js';
import { openSession } from '../../mysql/mysql2-session.js';
import { APP_DATABASE, MYDNS_DATABASE } from '../../sandbox/sandbox-secrets.js';
import type { MigrationSandbox } from './migration-sandbox.js';

/**
 * An application writing through the migration's writer record while the cutover runs: it
 * resolves the record with the weighted resolver (the MyDNS tables, cached for the TTL), opens a
 * new connection per write as the write user, and re-resolves after every failure. Shared by the
 * integration tests and the benchmark.
 */
export class DnsWriter {
  readonly client = `mig-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly lookup;
  private readonly meter: DowntimeMeter;
  private readonly stopper = new AbortController();
  private running: Promise<MeterReport> | undefined;

  constructor(private readonly sb: MigrationSandbox, o: { intervalMs?: number } = {}) {
    const dns: Endpoint = { host: sb.state.dnsDb.host, port: sb.state.dnsDb.port, user: 'dbfleet', password: sb.passwords.dbfleet, database: MYDNS_DATABASE };
    this.lookup = resolverLookup(dns, sb.state.dns.zone, openSession);
    this.meter = new DowntimeMeter({
      writerName: sb.config.dns.writer_record,
      readerName: sb.config.dns.reader_record,
      account: { user: 'app', password: sb.passwords.app, database: APP_DATABASE, table: 'writes', port: 3306 },
      intervalMs: o.intervalMs ?? 10,
      timeouts: { connectTimeoutMs: 300, queryTimeoutMs: 1_000 },
      client: this.client,
      lookup: this.lookup,
      openSession,
    });
  }

  start(): void {
    this.running = this.meter.run(this.stopper.signal);
  }

  acknowledged(): number {
    return this.meter.report().acknowledged.length;
  }

  /** The ids of the writes acknowledged so far (for a check between two moves, while it keeps writing). */
  acknowledgedSoFar(): number[] {
    return [...this.meter.report().acknowledged];
  }

  /** Resolves once `more` further writes were acknowledged (a condition, not a sleep); throws after `timeoutMs`. */
  async waitForMore(more: number, timeoutMs = 15_000): Promise<void> {
    const target = this.acknowledged() + more;
    const until = Date.now() + timeoutMs;
    while (this.acknowledged() < target) {
      if (Date.now() > until) throw new Error(`the writer did not get ${more} more writes acknowledged within ${timeoutMs} ms (last errors: ${this.meter.report().writeWindows.at(-1)?.errors.join('; ') ?? 'none'})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * The longest time between two acknowledged writes whose attempts started at or after `since`
   * (epoch ms): the write-unavailability a client saw around a cutover started then.
   */
  longestGapMs(since: number): number {
    const ok = this.meter.report().writes.filter((w) => w.ok);
    const from = Math.max(0, ok.findIndex((w) => w.end >= since) - 1);
    let gap = 0;
    for (let i = from + 1; i < ok.length; i++) gap = Math.max(gap, (ok[i]?.end ?? 0) - (ok[i - 1]?.end ?? 0));
    return gap;
  }

  async stop(): Promise<MeterReport> {
    this.stopper.abort();
    const report = this.running ? await this.running : this.meter.report();
    await this.lookup.close();
    return report;
  }

  /** Acknowledged writes missing from an instance (the new writer after a cutover, the source after a rollback). */
  missingOn(host: string, acknowledged: readonly number[]): Promise<number[]> {
    return missingWrites(openSession, { host, port: 3306, user: 'dbfleet', password: this.sb.passwords.dbfleet, database: APP_DATABASE }, 'writes', this.client, acknowledged);
  }
}
