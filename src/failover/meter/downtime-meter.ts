import { errorMessage } from '../../core/errors.js';
import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';
import { unavailabilityWindows, type Attempt, type Window } from './unavailability.js';
import type { Ack } from './write-audit.js';

/** Resolves a record name to one address (the weighted resolver, or a DNS query to PowerDNS). */
export interface NameLookup {
  resolve(name: string): Promise<string>;
  /** Called after a failed attempt: a well-behaved client re-resolves instead of trusting its cache. */
  forget(name: string): void;
}

export interface MeterOptions {
  writerName: string;
  readerName: string;
  /** Account, database and table the meter writes to: the table needs columns client and seq. */
  account: { user: string; password?: string | undefined; database: string; table: string; port: number };
  intervalMs: number;
  timeouts: Timeouts;
  /** Distinguishes this run's rows in the table. */
  client: string;
  lookup: NameLookup;
  openSession: (endpoint: Endpoint, timeouts: Timeouts) => Promise<SqlSession>;
  now?: () => number;
  /** Called after each attempt (live output). */
  onAttempt?: (a: Attempt) => void;
  /** Called with the first successful attempt after a run of failures (a window closed). */
  onRecovered?: (a: Attempt) => void;
}

export interface MeterReport {
  writes: Attempt[];
  reads: Attempt[];
  writeWindows: Window[];
  readWindows: Window[];
  /** Sequence numbers of writes the server acknowledged. */
  acknowledged: number[];
  /** Each acknowledged write and the server (address) that acknowledged it: what the write audit judges. */
  acks: Ack[];
}

const IDENT = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The seed's downtime measurement, automated: every interval, write a row through the writer
 * name and read through the reader name, each on a NEW connection to wherever the name resolves
 * now (as the seed's `mysql -h <endpoint>` loop did), and record every unavailability window.
 */
export class DowntimeMeter {
  private seq = 0;
  private readonly writes: Attempt[] = [];
  private readonly reads: Attempt[] = [];
  private readonly acknowledged: number[] = [];
  private readonly acks: Ack[] = [];
  private readonly now: () => number;

  constructor(private readonly o: MeterOptions) {
    if (!IDENT.test(o.account.database) || !IDENT.test(o.account.table)) throw new Error('probe database and table must be plain identifiers');
    this.now = o.now ?? Date.now;
  }

  /** Runs until the signal aborts; returns everything measured. */
  async run(signal: AbortSignal): Promise<MeterReport> {
    await Promise.all([this.loop(signal, () => this.writeOnce(), this.writes), this.loop(signal, () => this.readOnce(), this.reads)]);
    return this.report();
  }

  report(): MeterReport {
    return {
      writes: [...this.writes],
      reads: [...this.reads],
      writeWindows: unavailabilityWindows(this.writes),
      readWindows: unavailabilityWindows(this.reads),
      acknowledged: [...this.acknowledged],
      acks: [...this.acks],
    };
  }

  private async loop(signal: AbortSignal, once: () => Promise<Attempt>, into: Attempt[]): Promise<void> {
    while (!signal.aborted) {
      const started = performance.now();
      const a = await once();
      const previous = into[into.length - 1];
      into.push(a);
      this.o.onAttempt?.(a);
      if (a.ok && previous && !previous.ok) this.o.onRecovered?.(a);
      const wait = this.o.intervalMs - (performance.now() - started);
      if (wait > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async attempt(kind: 'write' | 'read', name: string, work: (s: SqlSession, address: string) => Promise<void>): Promise<Attempt> {
    const start = this.now();
    let address: string | undefined;
    let session: SqlSession | undefined;
    try {
      address = await this.o.lookup.resolve(name);
      session = await this.o.openSession(
        { host: address, port: this.o.account.port, user: this.o.account.user, password: this.o.account.password, database: this.o.account.database },
        this.o.timeouts,
      );
      await work(session, address);
      return { kind, start, end: this.now(), ok: true, address };
    } catch (e) {
      this.o.lookup.forget(name);
      return { kind, start, end: this.now(), ok: false, address, error: shortError(e) };
    } finally {
      session?.destroy();
    }
  }

  private writeOnce(): Promise<Attempt> {
    const seq = ++this.seq;
    return this.attempt('write', this.o.writerName, async (s, address) => {
      await s.execute(`INSERT INTO \`${this.o.account.table}\` (client, seq) VALUES (?, ?)`, [this.o.client, seq]);
      this.acknowledged.push(seq);
      this.acks.push({ seq, by: address });
    });
  }

  private readOnce(): Promise<Attempt> {
    return this.attempt('read', this.o.readerName, async (s) => {
      await s.query(`SELECT 1 FROM \`${this.o.account.table}\` LIMIT 1`);
    });
  }
}

/** The first line of an error, without the server address noise, for window summaries. */
function shortError(e: unknown): string {
  const m = errorMessage(e);
  if (/read.only/i.test(m)) return 'read-only (writer demoted)';
  if (/ECONNREFUSED|refused/i.test(m)) return 'connection refused';
  if (/timed? ?out|no answer within/i.test(m)) return 'timeout';
  return m.split('\n')[0]?.slice(0, 120) ?? m;
}
