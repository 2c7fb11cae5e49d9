import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { ClientChannel } from 'ssh2';
import { AbortedError, ConfigError, MissingDependencyError, RemoteError, TimeoutError, errorMessage, type DbfleetErrorOptions } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { DetachedOptions, Host, RunOptions, RunResult } from './host.js';
import { HostCommandError } from './host-errors.js';
import { ChannelRun, type ChannelOutcome } from './ssh-channel-run.js';
import { SshConnection } from './ssh-connection.js';
import { HostArgumentError } from './ssh-errors.js';
import {
  detachedScript,
  existsScript,
  isAliveScript,
  killGroupScript,
  killScript,
  mkdirScript,
  readFileScript,
  removeScript,
  runScript,
  whichScript,
  writeFileScript,
} from './ssh-remote-scripts.js';

export interface SshHostOptions {
  /** For logs and errors; defaults to `user@host:port`. */
  name?: string;
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  /** A private key file (OpenSSH or PEM). At least one of this and `agentSocket` is required. */
  privateKeyPath?: string;
  /** The key's passphrase; a secret: never logged. */
  passphrase?: string;
  /** An ssh-agent socket (the CLI passes SSH_AUTH_SOCK here; nothing below it reads env). */
  agentSocket?: string;
  /** OpenSSH known_hosts file the host key is verified against. */
  knownHostsPath: string;
  /** Accept and record a host not in known_hosts yet. Off unless asked for; a changed key is refused regardless. */
  trustOnFirstUse?: boolean;
  /** TCP connect + handshake + authentication. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default 15 s; the connection is dropped after `keepaliveCountMax` (default 3) unanswered. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Deadline for the calls that take none (readFile, writeFile, exists, …). Default 30 s. */
  operationTimeoutMs?: number;
  /** Channels open at once; keep below sshd's MaxSessions (10). Default 8. */
  maxSessions?: number;
  logger?: Logger;
}

/** Output kept per run() stream, as LocalHost: the tail (errors are at the end). */
const MAX_RUN_OUTPUT = 1 << 20;
/** readFile refuses rather than truncates past this. */
const MAX_FILE_BYTES = 256 << 20;
/** The kill sent after a timeout or abort runs with its own deadline, never the expired one. */
const CLEANUP_TIMEOUT_MS = 5_000;
/** How long a stopped run waits for its script to report the remote PID before giving up on killing it. */
const PID_WAIT_MS = 2_000;

/**
 * A database host reached over SSH (ssh2): the same calls as LocalHost, run as quoted POSIX shell
 * on one connection, with the host key verified against known_hosts. See docs/ssh.md.
 */
export class SshHost implements Host {
  readonly name: string;
  private readonly connection: SshConnection;
  private readonly logger: Logger;
  private readonly operationTimeoutMs: number;

  constructor(options: SshHostOptions) {
    const port = options.port ?? 22;
    if (!options.host) throw new ConfigError('ssh: host is empty', { next: 'give the host name or address' });
    if (!options.username) throw new ConfigError(`ssh ${options.host}: username is empty`, { next: 'give ssh.user' });
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`ssh ${options.host}: port ${port} is not a TCP port`, { next: 'give a port between 1 and 65535' });
    if (!options.privateKeyPath && !options.agentSocket) {
      throw new ConfigError(`ssh ${options.host}: no private key and no agent socket: there is no way to authenticate (passwords are not supported)`, {
        next: 'give ssh.private_key, or run with SSH_AUTH_SOCK set',
      });
    }
    if (!options.knownHostsPath) throw new ConfigError(`ssh ${options.host}: no known_hosts file: host keys must be verified`, { next: 'give ssh.known_hosts' });
    this.name = options.name ?? `${options.username}@${options.host}:${port}`;
    this.logger = (options.logger ?? silentLogger).child({ host: this.name });
    this.operationTimeoutMs = options.operationTimeoutMs ?? 30_000;
    this.connection = new SshConnection(
      {
        host: options.host,
        port,
        username: options.username,
        privateKeyPath: options.privateKeyPath,
        passphrase: options.passphrase,
        agentSocket: options.agentSocket,
        knownHostsPath: options.knownHostsPath,
        trustOnFirstUse: options.trustOnFirstUse === true,
        connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
        keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
        keepaliveCountMax: options.keepaliveCountMax ?? 3,
        maxSessions: options.maxSessions ?? 8,
      },
      this.logger,
    );
  }

  /** Connects now (verifying the host key) instead of on first use. */
  async connect(timeoutMs = this.operationTimeoutMs): Promise<void> {
    await this.execute(': connect', 'connect', { timeoutMs });
  }

  /** Ends the SSH connection; a later call reconnects. Detached processes keep running. */
  close(): Promise<void> {
    return this.connection.close();
  }

  async run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const outcome = await this.execute(runScript(command, args, options), command, { ...options, maxOutputBytes: MAX_RUN_OUTPUT });
    if (outcome.missing !== undefined) throw this.missing(outcome.missing);
    return { exitCode: outcome.exitCode, stdout: outcome.stdout.toString('utf8'), stderr: outcome.stderr };
  }

  async check(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const result = await this.run(command, args, options);
    if (result.exitCode !== 0) throw new HostCommandError(this.name, command, result.exitCode, result.stderr);
    return result;
  }

  async spawnDetached(command: string, args: readonly string[], options: DetachedOptions): Promise<{ pid: number }> {
    const outcome = await this.script(detachedScript(command, args, options), `start ${command}`);
    const pid = Number(outcome.stdout.toString('utf8').trim().split('\n').pop());
    if (!Number.isSafeInteger(pid) || pid < 2) throw new RemoteError('HOST_BAD_REPLY', `start ${command} on ${this.name}: no PID in the reply`, { details: { stdout: outcome.stdout.toString('utf8').slice(-200) } });
    this.logger.info({ command, pid, logFile: options.logFile }, 'ssh: started a detached process');
    return { pid };
  }

  async isAlive(pid: number): Promise<boolean> {
    const { exitCode, stderr } = await this.execute(isAliveScript(pid), 'isAlive', { timeoutMs: this.operationTimeoutMs });
    if (exitCode > 1) throw new HostCommandError(this.name, `isAlive ${pid}`, exitCode, stderr);
    return exitCode === 0;
  }

  async kill(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    const { exitCode, stderr } = await this.execute(killScript(pid, signal), 'kill', { timeoutMs: this.operationTimeoutMs });
    if (exitCode === 3) return false;
    if (exitCode !== 0) throw new HostCommandError(this.name, `kill -s ${signal} ${pid}`, exitCode, stderr);
    return true;
  }

  async readFile(path: string): Promise<string> {
    const outcome = await this.script(readFileScript(path), `read ${path}`, { maxOutputBytes: MAX_FILE_BYTES + 1 });
    if (outcome.stdoutTruncated) throw new RemoteError('HOST_FILE_TOO_LARGE', `read ${path} on ${this.name}: larger than ${MAX_FILE_BYTES} bytes`);
    return outcome.stdout.toString('utf8');
  }

  async writeFile(path: string, content: string, mode = 0o644): Promise<void> {
    const temp = posix.join(posix.dirname(path), `.${posix.basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    await this.script(writeFileScript(path, temp, mode), `write ${path}`, { input: content });
  }

  async exists(path: string): Promise<boolean> {
    const { exitCode, stderr } = await this.execute(existsScript(path), 'exists', { timeoutMs: this.operationTimeoutMs });
    if (exitCode > 1) throw new HostCommandError(this.name, `test -e ${path}`, exitCode, stderr);
    return exitCode === 0;
  }

  async mkdir(path: string, mode = 0o755): Promise<void> {
    await this.script(mkdirScript(path, mode), `mkdir ${path}`);
  }

  async remove(path: string): Promise<void> {
    if (path.trim() === '' || posix.normalize(path) === '/' || path.includes('\0')) {
      throw new HostArgumentError(`refusing to remove ${JSON.stringify(path)} on ${this.name}`);
    }
    await this.script(removeScript(path), `remove ${path}`);
  }

  async which(command: string): Promise<string | undefined> {
    const { exitCode, stdout } = await this.execute(whichScript(command), 'which', { timeoutMs: this.operationTimeoutMs });
    return exitCode === 0 ? stdout.toString('utf8').trim().split('\n').pop() : undefined;
  }

  /** Runs a helper script with the operation deadline; non-zero is a HostCommandError. */
  private async script(script: string, what: string, extra: { input?: string; maxOutputBytes?: number } = {}): Promise<ChannelOutcome> {
    const outcome = await this.execute(script, what, { timeoutMs: this.operationTimeoutMs, ...extra });
    if (outcome.missing !== undefined) throw this.missing(outcome.missing);
    if (outcome.exitCode !== 0) throw new HostCommandError(this.name, what, outcome.exitCode, outcome.stderr);
    return outcome;
  }

  /**
   * One script on one channel under a hard deadline. On timeout or abort the channel is closed
   * and the remote process group is SIGKILLed (from a second channel, with its own deadline)
   * before the promise rejects, so a rejected run leaves nothing running.
   */
  private async execute(
    script: string,
    what: string,
    options: { timeoutMs: number; signal?: AbortSignal; input?: string; maxOutputBytes?: number },
  ): Promise<ChannelOutcome> {
    if (options.signal?.aborted) throw new AbortedError(`${what} on ${this.name}: cancelled before it started`, { cause: options.signal.reason });
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, options.timeoutMs);
    const onParentAbort = (): void => stop.abort();
    options.signal?.addEventListener('abort', onParentAbort, { once: true });
    const stopped = (extra: DbfleetErrorOptions): Error =>
      timedOut
        ? new TimeoutError(`${what} on ${this.name} did not finish within ${options.timeoutMs} ms`, extra)
        : new AbortedError(`${what} on ${this.name} was cancelled`, { cause: options.signal?.reason, ...extra });
    try {
      let channel: ClientChannel;
      try {
        channel = await this.connection.exec(script, stop.signal, (late) => void this.stopRemote(new ChannelRun(late, undefined, 0, this.name), what));
      } catch (e) {
        if (stop.signal.aborted && e instanceof AbortedError) throw stopped({ cause: e });
        throw e;
      }
      const run = new ChannelRun(channel, options.input, options.maxOutputBytes ?? MAX_RUN_OUTPUT, this.name);
      const outcome = await Promise.race([run.done, aborted(stop.signal)]);
      if (outcome !== undefined) return outcome;
      const cleanup = await this.stopRemote(run, what);
      throw stopped({ details: cleanup });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onParentAbort);
    }
  }

  /** Kills what a stopped run started: its remote process group, then closes the channel. */
  private async stopRemote(run: ChannelRun, what: string): Promise<{ remotePid: number | undefined; remoteKilled: boolean }> {
    try {
      run.channel.signal('KILL'); // honoured by recent sshd for the shell only; the group kill below is what counts
    } catch {
      /* channel already closing */
    }
    const pid = run.pid ?? (await Promise.race([run.pidKnown, sleep(PID_WAIT_MS)]));
    let remoteKilled = false;
    if (pid !== undefined) {
      try {
        await this.runReserved(killGroupScript(pid));
        remoteKilled = true;
      } catch (e) {
        this.logger.warn({ what, pid, err: errorMessage(e) }, 'ssh: could not kill a stopped command; it may still run on the host');
      }
    }
    run.channel.close();
    this.logger.info({ what, pid, remoteKilled }, 'ssh: stopped a command at its deadline or on cancel');
    return { remotePid: pid, remoteKilled };
  }

  /** A cleanup script on a channel outside the slot limit, with its own deadline. */
  private async runReserved(script: string): Promise<void> {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), CLEANUP_TIMEOUT_MS);
    try {
      const channel = await this.connection.exec(script, stop.signal, (late) => late.close(), true);
      const run = new ChannelRun(channel, undefined, 4096, this.name);
      const outcome = await Promise.race([run.done, aborted(stop.signal)]);
      if (outcome === undefined) {
        channel.close();
        throw new TimeoutError(`cleanup on ${this.name} did not finish within ${CLEANUP_TIMEOUT_MS} ms`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private missing(command: string): MissingDependencyError {
    return new MissingDependencyError(`${command} is not installed on ${this.name} (not found on the remote PATH)`, { next: `install ${command} on the host` });
  }
}

/** Resolves with undefined when the signal aborts (never rejects). */
function aborted(signal: AbortSignal): Promise<undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

function sleep(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
