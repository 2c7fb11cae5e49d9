import { readFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import type { AuthenticationType, Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { AbortedError, ConfigError, TimeoutError, errorMessage, type DbfleetError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { SshAuthError, SshConnectError } from './ssh-errors.js';
import { HostKeyCheck, loadKnownHosts } from './ssh-host-key-check.js';
import { fingerprint, knownHostId, preferredHostKeyAlgorithms } from './ssh-known-hosts.js';
import { SessionSlots } from './ssh-session-slots.js';

/** Where and how to connect; validated by SshHost. */
export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
  privateKeyPath: string | undefined;
  passphrase: string | undefined;
  agentSocket: string | undefined;
  knownHostsPath: string;
  trustOnFirstUse: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  maxSessions: number;
}

/**
 * One ssh2 connection to one host, opened on first use and again on the next use after it
 * dropped. Channels are counted against a slot limit below sshd's MaxSessions; `reserved`
 * channels (the kill sent after a timeout) bypass it, so a host full of hung commands can
 * still be cleaned up.
 */
export class SshConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private readonly slots: SessionSlots;
  readonly hostId: string;

  constructor(
    private readonly endpoint: SshEndpoint,
    private readonly logger: Logger,
  ) {
    this.slots = new SessionSlots(endpoint.maxSessions);
    this.hostId = knownHostId(endpoint.host, endpoint.port);
  }

  /**
   * Opens an exec channel. Connecting and waiting for a slot stop when `signal` aborts; a channel
   * the server opens after that is handed to `onLate` (the command may already run: kill it).
   */
  async exec(script: string, signal: AbortSignal, onLate: (channel: ClientChannel) => void, reserved = false): Promise<ClientChannel> {
    const release = reserved ? () => undefined : await this.slots.acquire(signal);
    let handedOver = false; // once true, the open channel (or its late callback) releases the slot
    try {
      for (let attempt = 1; ; attempt++) {
        const client = await abortable(this.connected(), signal);
        try {
          return await this.openChannel(client, script, signal, onLate, release, () => (handedOver = true));
        } catch (e) {
          // The connection died between uses or before the channel opened: the command never
          // started, so one retry on a fresh connection is safe.
          if (attempt === 1 && neverStarted(e)) {
            this.forget(client);
            continue;
          }
          throw e;
        }
      }
    } catch (e) {
      if (!handedOver) release();
      throw e;
    }
  }

  /** Ends the connection (the next call reconnects). */
  async close(): Promise<void> {
    const pending = this.connecting;
    this.connecting = undefined;
    const client = this.client ?? (pending ? await pending.catch(() => undefined) : undefined);
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2_000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  private openChannel(
    client: Client,
    script: string,
    signal: AbortSignal,
    onLate: (channel: ClientChannel) => void,
    release: () => void,
    handOver: () => void,
  ): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      let abandoned = false;
      const onAbort = (): void => {
        abandoned = true;
        handOver(); // the callback below still comes, and releases the slot
        reject(new AbortedError('cancelled while opening an SSH channel', { cause: signal.reason }));
      };
      const opened = (err: Error | undefined, channel: ClientChannel): void => {
        signal.removeEventListener('abort', onAbort);
        if (err) {
          if (abandoned) release();
          else if (neverStarted(err)) reject(err);
          else reject(new SshConnectError(`ssh ${this.hostId}: the server refused a session channel: ${err.message}`, { cause: err, next: 'check MaxSessions in sshd_config, or lower ssh max_sessions' }));
          return;
        }
        handOver();
        channel.once('close', release);
        if (abandoned) onLate(channel);
        else resolve(channel);
      };
      if (signal.aborted) {
        reject(new AbortedError('cancelled while opening an SSH channel', { cause: signal.reason }));
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        client.exec(script, opened);
      } catch (e) {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      }
    });
  }

  private connected(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private forget(client: Client): void {
    if (this.client === client) this.client = undefined;
    client.destroy();
  }

  private async connect(): Promise<Client> {
    const e = this.endpoint;
    const started = performance.now();
    const entries = await loadKnownHosts(e.knownHostsPath);
    const check = new HostKeyCheck(entries, this.hostId, e.knownHostsPath, e.trustOnFirstUse);
    const privateKey = e.privateKeyPath === undefined ? undefined : await readPrivateKey(e.privateKeyPath, e.passphrase);
    const methods: AuthenticationType[] = [...(privateKey ? (['publickey'] as const) : []), ...(e.agentSocket ? (['agent'] as const) : [])];
    const config: ConnectConfig = {
      host: e.host,
      port: e.port,
      username: e.username,
      privateKey,
      passphrase: e.passphrase,
      agent: e.agentSocket,
      authHandler: methods, // never password or keyboard-interactive
      tryKeyboard: false,
      readyTimeout: e.connectTimeoutMs,
      keepaliveInterval: e.keepaliveIntervalMs,
      keepaliveCountMax: e.keepaliveCountMax,
      hostVerifier: (key: Buffer): boolean => check.verify(key),
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(entries, this.hostId) as ServerHostKeyAlgorithm[] },
    };
    const client = new ssh2.Client();
    return await new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (err: DbfleetError): void => {
        if (settled) return;
        settled = true;
        client.destroy();
        if (err.fault === 'safety') this.logger.error({ knownAs: this.hostId, code: err.code, details: err.details }, `ssh: ${err.message}`);
        reject(err);
      };
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        if (!settled) fail(this.translate(err, check, methods));
        else this.logger.warn({ knownAs: this.hostId, err: err.message, level: err.level }, 'ssh: connection error');
      });
      client.on('close', () => {
        if (this.client === client) {
          this.client = undefined;
          this.logger.info({ knownAs: this.hostId }, 'ssh: connection closed');
        }
        fail(new SshConnectError(`ssh ${this.hostId}: the server closed the connection during the handshake`, { next: 'look at the sshd log on the host' }));
      });
      client.once('ready', () => {
        check.recordTrusted(this.logger).then(
          () => {
            if (settled) return;
            settled = true;
            this.client = client;
            const key = check.accepted;
            this.logger.info({ knownAs: this.hostId, user: e.username, ms: Math.round(performance.now() - started), hostKey: key ? fingerprint(key) : undefined }, 'ssh: connected');
            resolve(client);
          },
          (err: unknown) =>
            fail(new ConfigError(`ssh ${this.hostId}: cannot add the trusted host key to ${e.knownHostsPath}: ${errorMessage(err)}`, { cause: err, next: 'fix the permissions of the known_hosts file' })),
        );
      });
      client.connect(config);
    });
  }

  private translate(err: Error & { level?: string; code?: string }, check: HostKeyCheck, methods: readonly string[]): DbfleetError {
    if (check.refusal) return check.refusal;
    const who = `ssh ${this.endpoint.username}@${this.hostId}`;
    if (err.level === 'client-timeout') {
      return new TimeoutError(`${who}: no SSH handshake within ${this.endpoint.connectTimeoutMs} ms`, {
        cause: err,
        next: 'check that sshd listens on that address and port and that no firewall drops the packets',
      });
    }
    if (err.level === 'client-authentication') {
      return new SshAuthError(`${who}: the server accepted none of the keys offered (${methods.join(', ')})`, {
        cause: err,
        next: `add the public key of ${this.endpoint.privateKeyPath ?? 'the agent'} to ~${this.endpoint.username}/.ssh/authorized_keys on the host`,
      });
    }
    const code = err.code ? `${err.code}: ` : '';
    return new SshConnectError(`${who}: cannot connect: ${code}${err.message}`, { cause: err, next: 'check the address and port and that sshd runs on the host' });
  }
}

async function readPrivateKey(path: string, passphrase: string | undefined): Promise<Buffer> {
  let key: Buffer;
  try {
    key = await readFile(path);
  } catch (e) {
    throw new ConfigError(`cannot read the SSH private key ${path}: ${errorMessage(e)}`, { cause: e, next: 'fix ssh.private_key (path or permissions)' });
  }
  const parsed = ssh2.utils.parseKey(key, passphrase);
  // The message names the problem (format, passphrase), never the key's content.
  if (parsed instanceof Error) throw new ConfigError(`cannot use the SSH private key ${path}: ${parsed.message}`, { next: 'give an OpenSSH or PEM private key, and its passphrase if it has one' });
  return key;
}

/** ssh2's errors for a channel that was never opened because the connection is gone. */
function neverStarted(e: unknown): boolean {
  return e instanceof Error && (e.message === 'Not connected' || e.message === 'No response from server');
}

/** Races a shared promise against one caller's signal without cancelling it for the others. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError('cancelled while connecting', { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError('cancelled while connecting', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
