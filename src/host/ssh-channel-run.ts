import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { ClientChannel } from 'ssh2';
import { MISSING_MARKER, PID_MARKER } from './ssh-remote-scripts.js';
import { SshConnectionLostError } from './ssh-errors.js';

export interface ChannelOutcome {
  /** The remote exit status; 128 + N when the process died of signal N. */
  exitCode: number;
  stdout: Buffer;
  /** True when stdout passed maxOutputBytes and only its tail was kept. */
  stdoutTruncated: boolean;
  stderr: string;
  /** The command the script found missing from the remote PATH (exit 127). */
  missing: string | undefined;
}

/** Stderr text kept per run; the tail matters for errors. */
const MAX_STDERR = 1 << 20;

/**
 * One script running on one exec channel: writes stdin then EOF, collects stdout as bytes and
 * stderr as text, takes the scripts' markers (remote PID, missing command) out of stderr, and
 * settles when the channel closes.
 */
export class ChannelRun {
  pid: number | undefined;
  /** Resolves with the remote PID once reported, or undefined if the channel closed first. */
  readonly pidKnown: Promise<number | undefined>;
  readonly done: Promise<ChannelOutcome>;
  private readonly markers = new StderrMarkers();

  constructor(
    readonly channel: ClientChannel,
    input: string | undefined,
    maxOutputBytes: number,
    hostId: string,
  ) {
    let reportPid: (pid: number | undefined) => void = () => undefined;
    this.pidKnown = new Promise((resolve) => (reportPid = resolve));
    this.done = new Promise<ChannelOutcome>((resolve, reject) => {
      const stdout = new TailBuffer(maxOutputBytes);
      let exitCode: number | undefined;
      channel.on('data', (d: Buffer) => stdout.push(d));
      channel.stderr.on('data', (d: Buffer) => {
        this.markers.push(d);
        if (this.markers.pid !== undefined && this.pid === undefined) {
          this.pid = this.markers.pid;
          reportPid(this.pid);
        }
      });
      channel.on('exit', (code: number | null, signal?: string) => {
        exitCode = code ?? 128 + (signal && signal in constants.signals ? constants.signals[signal as NodeJS.Signals] : 0);
      });
      channel.on('error', () => {
        /* surfaces as a close without an exit status */
      });
      channel.on('close', () => {
        reportPid(undefined);
        const stderr = this.markers.finish();
        if (exitCode === undefined) {
          reject(new SshConnectionLostError(`ssh ${hostId}: the connection or channel closed before the command reported its exit status`, { details: { stderr: stderr.slice(-2000) } }));
          return;
        }
        resolve({ exitCode, stdout: stdout.bytes(), stdoutTruncated: stdout.truncated, stderr, missing: this.markers.missing });
      });
      channel.end(input ?? '');
    });
    this.done.catch(() => undefined); // the owner may stop listening after a timeout
  }
}

/**
 * Removes the first `dbfleet-pid:N` line from stderr and a `dbfleet-missing:NAME` line right
 * after it. Lines before the PID line (a noisy login rc file) are kept as stderr.
 */
export class StderrMarkers {
  pid: number | undefined;
  missing: string | undefined;
  private state: 'before-pid' | 'after-pid' | 'plain' = 'before-pid';
  private pending = '';
  private text = '';
  private readonly decoder = new StringDecoder('utf8');

  push(chunk: Buffer): void {
    this.consume(this.decoder.write(chunk));
  }

  /** All stderr with the markers taken out. */
  finish(): string {
    this.consume(this.decoder.end());
    this.keep(this.pending);
    this.pending = '';
    return this.text;
  }

  private consume(s: string): void {
    if (this.state === 'plain') {
      this.keep(s);
      return;
    }
    this.pending += s;
    let nl: number;
    while (this.state !== 'plain' && (nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      if (this.state === 'before-pid') {
        const pid = line.startsWith(PID_MARKER) ? Number(line.slice(PID_MARKER.length)) : NaN;
        if (Number.isSafeInteger(pid) && pid > 0) {
          this.pid = pid;
          this.state = 'after-pid';
        } else this.keep(`${line}\n`);
      } else {
        if (line.startsWith(MISSING_MARKER)) this.missing = line.slice(MISSING_MARKER.length);
        else this.keep(`${line}\n`);
        this.state = 'plain';
      }
    }
    if (this.state === 'plain') {
      this.keep(this.pending);
      this.pending = '';
    }
  }

  private keep(s: string): void {
    this.text = (this.text + s).slice(-MAX_STDERR);
  }
}

/** Keeps the last `limit` bytes of a stream. */
class TailBuffer {
  truncated = false;
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Drop whole chunks from the front while what remains still covers the limit.
    while (this.chunks.length > 1 && this.size - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.size -= this.chunks.shift()?.length ?? 0;
      this.truncated = true;
    }
  }

  bytes(): Buffer {
    const all = Buffer.concat(this.chunks, this.size);
    if (all.length <= this.limit) return all;
    this.truncated = true;
    return all.subarray(all.length - this.limit);
  }
}
