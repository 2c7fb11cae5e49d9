import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../core/logger.js';
import { ConfigError, type DbfleetError } from '../core/errors.js';
import { SshHostKeyChangedError, SshHostKeyRevokedError, SshUnknownHostKeyError, type HostKeyFacts } from './ssh-errors.js';
import { checkHostKey, fingerprint, keyBlobType, knownHostLine, parseKnownHosts, type KnownHostEntry } from './ssh-known-hosts.js';

/** Reads known_hosts; a missing file is an empty one (every host is then unknown). */
export async function loadKnownHosts(path: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(`cannot read known_hosts file ${path}: ${(e as Error).message}`, { cause: e, next: 'fix the path or its permissions (ssh.known_hosts)' });
  }
}

/**
 * The host-key decision for one connection attempt. ssh2 calls `verify` with the key the server
 * offered (before the server has proven it holds it); a refusal is kept here so the connect
 * error can be the typed one instead of ssh2's "Host denied". A key trusted on first use is only
 * written to known_hosts by `recordTrusted`, once the handshake has verified the server's
 * signature with it.
 */
export class HostKeyCheck {
  refusal: DbfleetError | undefined;
  /** The key accepted on the first key exchange; a re-key must offer the same one. */
  accepted: Buffer | undefined;
  private pendingTrust: Buffer | undefined;

  constructor(
    private readonly entries: readonly KnownHostEntry[],
    readonly hostId: string,
    private readonly knownHostsPath: string,
    private readonly trustOnFirstUse: boolean,
  ) {}

  readonly verify = (key: Buffer): boolean => {
    const facts = this.facts(key);
    if (this.accepted) {
      if (this.accepted.equals(key)) return true;
      this.refusal = new SshHostKeyChangedError(facts, { keyType: keyBlobType(this.accepted) ?? '?', fingerprint: fingerprint(this.accepted), line: 0 });
      return false;
    }
    const verdict = checkHostKey(this.entries, this.hostId, key);
    switch (verdict.kind) {
      case 'known':
        this.accepted = key;
        return true;
      case 'unknown':
        if (!this.trustOnFirstUse) {
          this.refusal = new SshUnknownHostKeyError(facts);
          return false;
        }
        this.accepted = key;
        this.pendingTrust = key;
        return true;
      case 'changed':
        this.refusal = new SshHostKeyChangedError(facts, { keyType: verdict.entry.keyType, fingerprint: fingerprint(verdict.entry.key), line: verdict.entry.line });
        return false;
      case 'revoked':
        this.refusal = new SshHostKeyRevokedError(facts);
        return false;
    }
  };

  /** Appends a key accepted on first use to known_hosts (0600, directory created 0700). */
  async recordTrusted(logger: Logger): Promise<void> {
    const key = this.pendingTrust;
    if (!key) return;
    this.pendingTrust = undefined;
    await mkdir(dirname(this.knownHostsPath), { recursive: true, mode: 0o700 });
    let current = '';
    try {
      current = await readFile(this.knownHostsPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const separator = current === '' || current.endsWith('\n') ? '' : '\n';
    await appendFile(this.knownHostsPath, separator + knownHostLine(this.hostId, key), { mode: 0o600 });
    const facts = this.facts(key);
    logger.warn({ knownAs: facts.hostId, keyType: facts.keyType, fingerprint: facts.fingerprint, knownHosts: facts.knownHostsPath }, 'ssh: trusted a new host key on first use and added it to known_hosts');
  }

  private facts(key: Buffer): HostKeyFacts {
    return { hostId: this.hostId, keyType: keyBlobType(key) ?? 'unknown', fingerprint: fingerprint(key), knownHostsPath: this.knownHostsPath };
  }
}
