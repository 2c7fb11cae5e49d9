import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { QueryOptions, SqlSession } from '../../mysql/admin.js';
import { acquireOrRenew, ensureLeaseTable, leaseFence, releaseLease } from './lease-store.js';

export interface LeaseKeeperOptions {
  name: string;
  holder: string;
  ttlMs: number;
  /** Opens a session to the MyDNS database (reopened after any error). */
  connect: () => Promise<SqlSession>;
  queryTimeoutMs: number;
  logger: Logger;
  onChange?: (held: boolean) => void;
}

/**
 * Keeps this checker's lease: renews it every third of its TTL, takes it over when it expires,
 * and believes it holds the lease only until the TTL since its last successful renewal has passed
 * (minus a margin), whatever happens to the database. The database-side fence is the real guard;
 * this local view only avoids attempting writes that would be refused.
 */
export class LeaseKeeper {
  private session: SqlSession | undefined;
  private token = 0;
  private heldUntil = 0;
  private holderSeen = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inflight: Promise<void> | undefined;

  constructor(private readonly o: LeaseKeeperOptions) {}

  get held(): boolean {
    return performance.now() < this.heldUntil;
  }

  /** The holder as last read from the database ('' when nobody holds it). */
  get holder(): string {
    return this.held ? this.o.holder : this.holderSeen;
  }

  get currentToken(): number {
    return this.token;
  }

  /** The fence for a DNS write transaction, bound to the token held now. */
  fence(): (tx: SqlSession) => Promise<void> {
    return leaseFence(this.o.name, this.o.holder, this.token, { timeoutMs: this.o.queryTimeoutMs });
  }

  async start(): Promise<void> {
    await this.tick();
    this.schedule();
  }

  /** One acquire-or-renew attempt at a time; never throws. */
  tick(): Promise<void> {
    this.inflight ??= this.tickOnce().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async tickOnce(): Promise<void> {
    if (this.stopped) return;
    const wasHeld = this.held;
    const started = performance.now();
    try {
      this.session ??= await this.o.connect();
      const q: QueryOptions & { timeoutMs: number } = { timeoutMs: this.o.queryTimeoutMs };
      await ensureLeaseTable(this.session, q);
      const r = await acquireOrRenew(this.session, this.o.name, this.o.holder, this.o.ttlMs, q);
      this.holderSeen = r.holder;
      if (r.held) {
        this.token = r.token;
        // Count the TTL from when we asked, less a margin, so we stop acting before the database would refuse us.
        this.heldUntil = started + this.o.ttlMs * 0.8;
        if (r.acquired) this.o.logger.info({ lease: this.o.name, lease_token: r.token, previousHolder: r.previousHolder || 'none' }, 'lease acquired: this checker is now active');
      } else {
        this.heldUntil = 0;
      }
    } catch (e) {
      this.session?.destroy();
      this.session = undefined;
      this.o.logger.warn({ lease: this.o.name, err: errorMessage(e) }, 'lease renewal failed');
    }
    if (wasHeld !== this.held) {
      if (!this.held) this.o.logger.warn({ lease: this.o.name, holder: this.holderSeen || 'none' }, 'lease not held: this checker is a standby');
      this.o.onChange?.(this.held);
    }
  }

  /** Stops renewing and, when held, gives the lease up so a standby takes over at once. */
  async stop(release: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // a renewal in flight would otherwise commit after (and undo) the release
    await this.inflight;
    if (release && this.held && this.session) {
      await releaseLease(this.session, this.o.name, this.o.holder, this.token, { timeoutMs: this.o.queryTimeoutMs }).catch((e: unknown) =>
        this.o.logger.warn({ err: errorMessage(e) }, 'could not release the lease; it expires on its own'),
      );
      this.o.logger.info({ lease: this.o.name }, 'lease released');
    }
    this.heldUntil = 0;
    await this.session?.close().catch(() => undefined);
    this.session = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, Math.max(100, Math.floor(this.o.ttlMs / 3)));
  }
}
