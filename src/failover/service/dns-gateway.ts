import { errorMessage, isDbfleetError, RemoteError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { Mutex } from '../../core/mutex.js';
import type { ChangeSet } from '../../dns/change-set.js';
import { directResolver, queryA } from '../../dns/dns-query.js';
import { normalizeZone, relativeName } from '../../dns/dns-names.js';
import { ConflictError } from '../../dns/dns-errors.js';
import { drainsByName, listDrains, raisesDrained, type Drain } from '../../dns/drains.js';
import { applyChangeSet, listAllRecords, listRecords } from '../../dns/record-store.js';
import type { NameState } from '../../dns/record-types.js';
import type { SqlSession } from '../../mysql/admin.js';
import type { RecordGateway } from './cluster-worker.js';

export interface DnsGatewayOptions {
  zone: string;
  /** Opens a session to the MyDNS database. */
  connect: () => Promise<SqlSession>;
  queryTimeoutMs: number;
  actor: string;
  /** The lease fence for each write, and whether we hold the lease now. */
  fence: () => (tx: SqlSession) => Promise<void>;
  active: () => boolean;
  /** "host:port" of PowerDNS, to time when DNS answers a change. */
  dnsServer?: string | undefined;
  logger: Logger;
  /** Writes are refused outright (checker once --dry-run). */
  dryRun?: boolean;
  /** Gauge for the weights as read (dbfleet_record_weight). */
  recordWeight?: { set(labels: { name: string; address: string }, value: number): void } | undefined;
}

/** A comparable rendering of a name's records (ids aside). */
function recordsKey(n: NameState): string {
  return n.records.map((r) => `${r.address}/${r.weight}/${r.ttl}/${r.active ? 'Y' : 'N'}`).sort().join(',');
}

/** Errors that say the change itself was refused; anything else may mean the session is broken. */
const STORE_VERDICTS = new Set(['DNS_CONFLICT', 'LEASE_LOST', 'DNS_INVARIANT', 'DNS_INVALID_INPUT', 'DNS_UNKNOWN_NAME', 'DNS_UNKNOWN_ZONE']);

/**
 * The checker's one connection to the MyDNS database: a cache of the records and of the operator
 * drains, and fenced, serialized change-set writes whose results refresh the cache. The session
 * is reopened after any failure, so a restarted DNS database is picked up by the next tick.
 *
 * Drains are always read after the records they go with: a drain commits its row and its weight 0
 * together, so cached records showing that weight 0 are never paired with an older drain list
 * that lacks the row (which would have the checker "restore" the drained address).
 */
export class DnsGateway implements RecordGateway {
  private session: SqlSession | undefined;
  private readonly mutex = new Mutex();
  private readonly cache = new Map<string, NameState>();
  private readonly relNames = new Map<string, string>();
  private drains = new Map<string, Set<string>>();
  private readonly zone: string;
  private readonly resolver;

  constructor(private readonly o: DnsGatewayOptions) {
    this.zone = normalizeZone(o.zone);
    if (o.dnsServer) {
      const [host, port] = o.dnsServer.split(':');
      this.resolver = directResolver(host ?? '127.0.0.1', Number(port), 300);
    }
  }

  /** relativeName() per lookup is a regex; names are few, lookups are thousands a second. */
  private rel(name: string): string {
    let r = this.relNames.get(name);
    if (r === undefined) {
      r = relativeName(name, this.zone);
      this.relNames.set(name, r);
    }
    return r;
  }

  records(writerName: string, readerName: string): { writer: NameState; reader: NameState } | undefined {
    const writer = this.cache.get(this.rel(writerName));
    const reader = this.cache.get(this.rel(readerName));
    return writer && reader ? { writer, reader } : undefined;
  }

  drained(readerName: string): string[] {
    return [...(this.drains.get(relativeName(readerName, this.zone)) ?? [])];
  }

  active(): boolean {
    return this.o.active();
  }

  /** Runs work on the shared session, one at a time; drops the session when it breaks. */
  use<T>(work: (s: SqlSession) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      this.session ??= await this.o.connect();
      const s = this.session;
      try {
        return await work(s);
      } catch (e) {
        if (!(isDbfleetError(e) && STORE_VERDICTS.has(e.code))) {
          if (this.session === s) this.session = undefined;
          s.destroy();
        }
        throw e;
      }
    });
  }

  async refreshAll(): Promise<void> {
    const { names, drains } = await this.use(async (s) => {
      const all = await listAllRecords(s, this.zone, { timeoutMs: this.o.queryTimeoutMs });
      return { names: all, drains: await listDrains(s, this.zone, { timeoutMs: this.o.queryTimeoutMs }) };
    });
    this.drains = drainsByName(drains);
    const seen = new Set<string>();
    for (const n of names) {
      // Keep the cached object when nothing changed: workers compare identities to know whether
      // they need to decide again.
      const old = this.cache.get(n.name);
      if (!old || JSON.stringify(old) !== JSON.stringify(n)) {
        this.cache.set(n.name, n);
        this.publishWeights(n);
      }
      seen.add(n.name);
    }
    // A name removed from the zone must not linger as "current records".
    for (const k of this.cache.keys()) if (!seen.has(k)) this.cache.delete(k);
  }

  async refresh(names: readonly string[]): Promise<void> {
    await this.use(async (s) => {
      for (const name of names) {
        const n = await listRecords(s, this.zone, name, { timeoutMs: this.o.queryTimeoutMs });
        this.cache.set(n.name, n);
      }
      this.drains = drainsByName(await listDrains(s, this.zone, { timeoutMs: this.o.queryTimeoutMs }));
    });
  }

  async apply(changes: ChangeSet, why: string): Promise<{ serial: number }> {
    if (this.o.dryRun) throw new Error('dry run: no change is written');
    const lease = this.o.fence();
    let drains: Drain[] | undefined;
    // Re-verified inside the transaction: a drain committed since the records were read wins.
    const fence = async (tx: SqlSession): Promise<void> => {
      await lease(tx);
      drains = await listDrains(tx, this.zone, { timeoutMs: this.o.queryTimeoutMs });
      const undoing = raisesDrained(changes, drainsByName(drains), this.zone);
      if (undoing.length > 0) {
        throw new ConflictError(`${undoing.map((c) => `${c.op} ${c.name} ${'address' in c ? c.address : ''}`).join(', ')} would undo an operator drain made since the records were read; nothing was changed`);
      }
    };
    const result = await this.use((s) =>
      applyChangeSet(s, this.zone, changes, { actor: this.o.actor, why, fence }, { timeoutMs: this.o.queryTimeoutMs, lockWaitSeconds: 1, logger: this.o.logger }),
    ).finally(() => {
      if (drains) this.drains = drainsByName(drains);
    });
    // Read back after the commit: a commit that returned OK is not proof the rows are as planned
    // (the seed's lesson about APIs that "succeed"). The cache takes what is really there.
    const expected = new Map(result.steps.map((step) => [step.after.name, step.after]));
    const actual = await this.use(async (s) => {
      const out: NameState[] = [];
      for (const name of expected.keys()) out.push(await listRecords(s, this.zone, name, { timeoutMs: this.o.queryTimeoutMs }));
      return out;
    });
    const mismatched: string[] = [];
    for (const a of actual) {
      this.cache.set(a.name, a);
      this.publishWeights(a);
      const e = expected.get(a.name);
      if (e && recordsKey(e) !== recordsKey(a)) mismatched.push(`${a.name}: expected ${recordsKey(e)}, found ${recordsKey(a)}`);
    }
    if (mismatched.length > 0) {
      throw new RemoteError('DNS_VERIFY_FAILED', `the change committed (serial ${result.serial}) but reading it back shows something else: ${mismatched.join('; ')}`, {
        next: 'someone else changed these records right after; the checker decides again from what is there now',
      });
    }
    return { serial: result.serial };
  }

  /** Exports a name's weights (dbfleet_record_weight), so dashboards show what DNS serves. */
  private publishWeights(n: NameState): void {
    for (const r of n.records) this.o.recordWeight?.set({ name: n.name, address: r.address }, r.active ? r.weight : 0);
  }

  async answers(name: string): Promise<string[]> {
    if (!this.resolver) return [];
    try {
      return (await queryA(this.resolver, `${relativeName(name, this.zone)}.${this.zone}`)).map((a) => a.address);
    } catch (e) {
      this.o.logger.debug({ err: errorMessage(e) }, 'dns query failed');
      return [];
    }
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      await this.session?.close().catch(() => undefined);
      this.session = undefined;
    });
  }
}
