import { DbfleetError, RemoteError, type DbfleetErrorOptions } from '../core/errors.js';

/** Where an SSH host lives and how its key is known; carried by the host-key errors. */
export interface HostKeyFacts {
  /** The name known_hosts is searched for: `host`, or `[host]:port` when the port is not 22. */
  hostId: string;
  keyType: string;
  /** OpenSSH's `SHA256:…` fingerprint of the key the server offered. */
  fingerprint: string;
  knownHostsPath: string;
}

/** Thrown when a host's key is not in known_hosts and trust on first use was not asked for. */
export class SshUnknownHostKeyError extends DbfleetError {
  readonly code = 'SSH_HOST_KEY_UNKNOWN';
  readonly fault = 'safety' as const;
  constructor(readonly facts: HostKeyFacts, options: DbfleetErrorOptions = {}) {
    super(
      `refusing ${facts.hostId}: its ${facts.keyType} host key ${facts.fingerprint} is not in ${facts.knownHostsPath}`,
      {
        next:
          `compare ${facts.fingerprint} with \`ssh-keygen -lf /etc/ssh/ssh_host_${shortType(facts.keyType)}_key.pub\` run on the host itself, ` +
          `then add it (\`ssh-keyscan -t ${facts.keyType} ${scanTarget(facts.hostId)} >> ${facts.knownHostsPath}\`), ` +
          `or connect once with trust_on_first_use`,
        details: { ...facts },
        ...options,
      },
    );
  }
}

/** Thrown when a host offers a key other than the one known_hosts holds for it: possible MITM. */
export class SshHostKeyChangedError extends DbfleetError {
  readonly code = 'SSH_HOST_KEY_CHANGED';
  readonly fault = 'safety' as const;
  constructor(
    readonly facts: HostKeyFacts,
    /** The key we know; `line` 0 means the key accepted at the start of this connection (a re-key). */
    readonly known: { keyType: string; fingerprint: string; line: number },
    options: DbfleetErrorOptions = {},
  ) {
    super(
      `HOST KEY CHANGED for ${facts.hostId}: someone may be intercepting the connection (man in the middle), ` +
        `or the host was rebuilt. ${known.line > 0 ? `${facts.knownHostsPath} line ${known.line} has` : 'this connection started with'} ${known.keyType} ${known.fingerprint}; ` +
        `the server offered ${facts.keyType} ${facts.fingerprint}. Refusing to connect.`,
      {
        next:
          `find out from the host's owner why the key changed; only once the new key is verified, remove the old entry ` +
          `(\`ssh-keygen -R '${facts.hostId}' -f ${facts.knownHostsPath}\`) and add the new one`,
        details: { ...facts, knownKeyType: known.keyType, knownFingerprint: known.fingerprint, knownLine: known.line },
        ...options,
      },
    );
  }
}

/** Thrown when a host offers a key that known_hosts marks @revoked. */
export class SshHostKeyRevokedError extends DbfleetError {
  readonly code = 'SSH_HOST_KEY_REVOKED';
  readonly fault = 'safety' as const;
  constructor(readonly facts: HostKeyFacts, options: DbfleetErrorOptions = {}) {
    super(`refusing ${facts.hostId}: its ${facts.keyType} host key ${facts.fingerprint} is marked @revoked in ${facts.knownHostsPath}`, {
      next: 'the host must be given a new key by its owner; do not remove the @revoked line',
      details: { ...facts },
      ...options,
    });
  }
}

/** Thrown when the server refuses every configured key (private key file, agent). */
export class SshAuthError extends DbfleetError {
  readonly code = 'SSH_AUTH_FAILED';
  readonly fault = 'operator' as const;
}

/** Thrown when the TCP connection or the SSH handshake fails (refused, unreachable, reset). */
export class SshConnectError extends RemoteError {
  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super('SSH_CONNECT_FAILED', message, { retryable: true, ...options });
  }
}

/**
 * Thrown when the connection drops while a command runs: the command may or may not have run to
 * the end, so it is not retried blindly.
 */
export class SshConnectionLostError extends RemoteError {
  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super('SSH_CONNECTION_LOST', message, { retryable: false, ...options });
  }
}

/** Thrown when a host call is given an argument that cannot be passed safely (a caller bug). */
export class HostArgumentError extends DbfleetError {
  readonly code = 'HOST_INVALID_ARGUMENT';
  readonly fault = 'bug' as const;
}

function shortType(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ed25519';
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  if (keyType === 'ssh-rsa') return 'rsa';
  return keyType;
}

/** `[h]:p` as ssh-keyscan arguments. */
function scanTarget(hostId: string): string {
  const m = /^\[(.+)\]:(\d+)$/.exec(hostId);
  return m ? `-p ${m[2]} ${m[1]}` : hostId;
}
