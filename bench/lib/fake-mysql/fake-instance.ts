import { createServer, type Server, type Socket } from 'node:net';
import { FakeConnection, type ConnectionHost } from './fake-connection.js';
import { FLAVOUR_VERSIONS } from './answers.js';
import type { ReplyCache } from './reply-cache.js';
import type { AnswerState, FakeCounters, FakeFlavour, FakeInstanceInfo, FakeMode, FakeRole, InstanceChange } from './types.js';

export interface FakeInstanceSpec {
  id: string;
  cluster: string;
  host: string;
  port: number;
  role: FakeRole;
  flavour: FakeFlavour;
  backlog: number;
}

/** Thrown when an instance cannot listen on its address (taken, not loopback, out of descriptors). */
export class FakeListenError extends Error {
  constructor(address: string, cause: unknown) {
    const code = (cause as { code?: unknown }).code;
    super(`fake-mysql: cannot listen on ${address}${typeof code === 'string' ? ` (${code})` : ''}: ${(cause as Error).message ?? String(cause)}`, { cause });
    this.name = 'FakeListenError';
  }
}

/**
 * One fake mysqld on one address. Its port is open in modes up and hang and closed in down and
 * refuse-new; role and flavour changes apply to the next statement on every connection.
 */
export class FakeInstance implements ConnectionHost {
  readonly counters: FakeCounters = { connectionsAccepted: 0, handshakes: 0, queries: 0, queryErrors: 0, pings: 0 };
  private state: AnswerState;
  private currentMode: FakeMode = 'up';
  private server: Server | undefined;
  private readonly connections = new Set<FakeConnection>();
  /** Changes run one at a time: a mode change that re-opens the port must finish before the next. */
  private changes: Promise<void> = Promise.resolve();

  constructor(
    private readonly spec: FakeInstanceSpec,
    private readonly cache: ReplyCache,
    readonly nextConnectionId: () => number,
  ) {
    this.state = { role: spec.role, flavour: spec.flavour };
  }

  get id(): string {
    return this.spec.id;
  }

  get cluster(): string {
    return this.spec.cluster;
  }

  get mode(): FakeMode {
    return this.currentMode;
  }

  get role(): FakeRole {
    return this.state.role;
  }

  get answerState(): AnswerState {
    return this.state;
  }

  get serverVersion(): string {
    return FLAVOUR_VERSIONS[this.state.flavour].version;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  info(): FakeInstanceInfo {
    return { id: this.spec.id, cluster: this.spec.cluster, host: this.spec.host, port: this.spec.port, ...this.state, mode: this.currentMode };
  }

  reply(sql: string): ReturnType<ReplyCache['get']> {
    return this.cache.get(sql, this.state);
  }

  forget(conn: FakeConnection): void {
    this.connections.delete(conn);
  }

  async start(): Promise<void> {
    await this.listen();
  }

  apply(change: InstanceChange): Promise<void> {
    const run = this.changes.then(() => this.applyNow(change));
    this.changes = run.catch(() => undefined);
    return run;
  }

  private async applyNow(change: InstanceChange): Promise<void> {
    if (change.role !== undefined || change.flavour !== undefined) {
      this.state = { role: change.role ?? this.state.role, flavour: change.flavour ?? this.state.flavour };
    }
    if (change.mode !== undefined && change.mode !== this.currentMode) await this.enter(change.mode);
  }

  async close(): Promise<void> {
    await this.changes;
    this.unlisten();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
  }

  private async enter(mode: FakeMode): Promise<void> {
    this.currentMode = mode;
    switch (mode) {
      case 'up':
        await this.listen();
        for (const c of this.connections) c.resume();
        return;
      case 'hang':
        await this.listen();
        for (const c of this.connections) c.pause();
        return;
      case 'refuse-new':
        this.unlisten();
        for (const c of this.connections) c.resume();
        return;
      case 'down':
        this.unlisten();
        for (const c of this.connections) c.destroy();
        this.connections.clear();
        return;
    }
  }

  private onConnection(socket: Socket): void {
    this.counters.connectionsAccepted += 1;
    const conn = new FakeConnection(socket, this);
    this.connections.add(conn);
    conn.start(this.currentMode === 'hang');
  }

  private async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    const address = `${this.spec.host}:${this.spec.port}`;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.spec.host, port: this.spec.port, backlog: this.spec.backlog, exclusive: true }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      this.server = undefined;
      throw new FakeListenError(address, e);
    }
    // After listening, errors (EMFILE on accept) must not crash the fleet process.
    server.on('error', () => undefined);
  }

  /** Closes the port at once; open connections are dealt with by the caller. */
  private unlisten(): void {
    const server = this.server;
    this.server = undefined;
    server?.close();
  }
}
