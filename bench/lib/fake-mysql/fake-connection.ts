import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { encodeReply, type EncodedReply } from './reply-cache.js';
import type { AnswerState, FakeCounters } from './types.js';
import {
  authSwitchRequest,
  Command,
  errPayload,
  frame,
  handshakeV10,
  NATIVE_PASSWORD,
  okPayload,
  PacketReader,
  parseHandshakeResponse,
} from './wire.js';

/** What a connection needs from the instance that accepted it. */
export interface ConnectionHost {
  readonly answerState: AnswerState;
  readonly serverVersion: string;
  readonly counters: FakeCounters;
  nextConnectionId(): number;
  /** Encoded reply to a command sent with sequence id 0 (cached). */
  reply(sql: string): EncodedReply;
  forget(conn: FakeConnection): void;
}

type Phase = 'held' | 'login' | 'auth-switch' | 'commands' | 'closed';

const ER_UNKNOWN_COM_ERROR = 1047;
const ER_NOT_SUPPORTED_AUTH_MODE = 1251;

/**
 * One client connection: handshake (any user and password are accepted), then commands.
 * While its instance hangs the socket is paused: bytes the client sends wait in the kernel and
 * are answered on resume, as a SIGSTOPped mysqld answers after SIGCONT.
 */
export class FakeConnection {
  private phase: Phase = 'held';
  private readonly reader = new PacketReader();
  private scramble = Buffer.alloc(0);

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    socket.setNoDelay(true);
    // Peers that vanish (a probe destroying its fresh connection) reset the socket: expected.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.phase = 'closed';
      host.forget(this);
    });
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk, (seq, payload) => this.onPacket(seq, payload)));
  }

  /** Greets the client, unless the instance hangs (then `resume` greets it later). */
  start(hung: boolean): void {
    if (hung) this.socket.pause();
    else this.greet();
  }

  pause(): void {
    if (this.phase !== 'closed') this.socket.pause();
  }

  resume(): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'held') this.greet();
    this.socket.resume();
  }

  destroy(): void {
    this.phase = 'closed';
    this.socket.destroy();
  }

  private greet(): void {
    this.phase = 'login';
    // Printable bytes, as mysqld makes them: clients treat part 2 as NUL-terminated.
    this.scramble = Buffer.from(Array.from({ length: 20 }, () => randomInt(33, 127)));
    const hello = handshakeV10({ serverVersion: this.host.serverVersion, connectionId: this.host.nextConnectionId(), scramble: this.scramble });
    this.socket.write(frame(0, hello));
  }

  private onPacket(seq: number, payload: Buffer): void {
    switch (this.phase) {
      case 'login':
        return this.onLogin(seq, payload);
      case 'auth-switch':
        return this.accept(seq);
      case 'commands':
        return this.onCommand(seq, payload);
      case 'held':
      case 'closed':
        return;
    }
  }

  private onLogin(seq: number, payload: Buffer): void {
    const login = parseHandshakeResponse(payload);
    if (login.sslRequest) {
      this.socket.end(frame(seq + 1, errPayload(ER_NOT_SUPPORTED_AUTH_MODE, '08004', 'fake-mysql does not offer TLS')));
      this.phase = 'closed';
      return;
    }
    if (login.authPlugin !== undefined && login.authPlugin !== NATIVE_PASSWORD) {
      // e.g. caching_sha2_password from MySQL 8 clients: ask for mysql_native_password instead.
      this.phase = 'auth-switch';
      this.socket.write(frame(seq + 1, authSwitchRequest(this.scramble)));
      return;
    }
    this.accept(seq);
  }

  private accept(seq: number): void {
    this.phase = 'commands';
    this.host.counters.handshakes += 1;
    this.socket.write(frame(seq + 1, okPayload()));
  }

  private onCommand(seq: number, payload: Buffer): void {
    const counters = this.host.counters;
    switch (payload[0]) {
      case Command.QUERY: {
        const sql = payload.toString('utf8', 1);
        const r = seq === 0 ? this.host.reply(sql) : encodeReply(sql, this.host.answerState, seq + 1);
        counters.queries += 1;
        if (r.error) counters.queryErrors += 1;
        this.socket.write(r.bytes);
        return;
      }
      case Command.PING:
        counters.pings += 1;
        this.socket.write(frame(seq + 1, okPayload()));
        return;
      case Command.INIT_DB:
      case Command.RESET_CONNECTION:
        this.socket.write(frame(seq + 1, okPayload()));
        return;
      case Command.QUIT:
        this.phase = 'closed';
        this.socket.end();
        return;
      default:
        this.socket.write(frame(seq + 1, errPayload(ER_UNKNOWN_COM_ERROR, '08S01', `fake-mysql: unknown command 0x${(payload[0] ?? 0).toString(16)}`)));
    }
  }
}
