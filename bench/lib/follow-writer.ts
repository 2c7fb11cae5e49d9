/**
 * A client that writes every `intervalMs` to whichever instance accepts writes, without DNS: it
 * writes to the instance that took its last write, and when that one refuses (read-only, error,
 * timeout) it tries the others in turn within the same tick. So whichever tool moved the master,
 * the writer finds the new one the same way, and DNS counts for neither.
 *
 * One connection per instance, kept open (a read-only refusal keeps it; any other error drops it
 * and the next attempt reconnects). Every attempt writes a new sequence number, so a write whose
 * outcome is unknown (a timeout) is never retried under the same key elsewhere. Every acknowledged
 * write is kept with the instance that acknowledged it and when (performance.now()).
 */
import { DbfleetError } from '../../src/core/errors.js';
import type { Endpoint, SqlSession, Timeouts } from '../../src/mysql/admin.js';
import { MysqlErrorCode } from '../../src/mysql/mysql-errors.js';

export interface WriterTarget {
  id: string;
  host: string;
  port: number;
}

export interface Ack {
  seq: number;
  /** The instance that acknowledged the write. */
  id: string;
  /** performance.now() when the acknowledgement arrived. */
  at: number;
}

export interface FollowWriterOptions {
  targets: readonly WriterTarget[];
  account: { user: string; password: string; database: string; table: string };
  client: string;
  intervalMs: number;
  timeouts: Timeouts;
  openSession: (e: Endpoint, t: Timeouts) => Promise<SqlSession>;
}

const IDENT = /^[A-Za-z0-9_]{1,64}$/;

export class FollowWriter {
  readonly acks: Ack[] = [];
  failedAttempts = 0;
  private seq = 0;
  private current = 0;
  private readonly sessions = new Map<string, SqlSession>();
  private readonly stop = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly o: FollowWriterOptions) {
    if (!IDENT.test(o.account.table)) throw new Error('writer table must be a plain identifier');
    if (o.targets.length === 0) throw new Error('writer needs at least one target');
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stops after the attempt in flight; closes every connection. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.running;
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }

  /** Every acknowledged sequence number so far. */
  acknowledged(): number[] {
    return this.acks.map((a) => a.seq);
  }

  /** Resolves once an acknowledgement from `id` with index >= `from` exists. */
  async waitForAckOn(id: string, from: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.acks.slice(from).some((a) => a.id === id)) {
      if (performance.now() > deadline) throw new Error(`the writer got no write acknowledged by ${id} within ${timeoutMs} ms (last acknowledged by ${this.acks[this.acks.length - 1]?.id ?? 'nobody'})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private async loop(): Promise<void> {
    const n = this.o.targets.length;
    while (!this.stop.signal.aborted) {
      const t0 = performance.now();
      for (let k = 0; k < n; k++) {
        const i = (this.current + k) % n;
        if (await this.attempt(this.o.targets[i]!)) {
          this.current = i;
          break;
        }
      }
      const wait = this.o.intervalMs - (performance.now() - t0);
      if (wait > 0 && !this.stop.signal.aborted) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async attempt(t: WriterTarget): Promise<boolean> {
    const seq = ++this.seq;
    let s = this.sessions.get(t.id);
    try {
      if (!s) {
        s = await this.o.openSession({ host: t.host, port: t.port, user: this.o.account.user, password: this.o.account.password, database: this.o.account.database }, this.o.timeouts);
        this.sessions.set(t.id, s);
      }
      await s.execute(`INSERT INTO \`${this.o.account.table}\` (client, seq) VALUES (?, ?)`, [this.o.client, seq]);
      this.acks.push({ seq, id: t.id, at: performance.now() });
      return true;
    } catch (e) {
      this.failedAttempts += 1;
      const readOnly = e instanceof DbfleetError && e.code === MysqlErrorCode.readOnly;
      if (!readOnly && s) {
        s.destroy();
        this.sessions.delete(t.id);
      }
      return false;
    }
  }
}
