import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * OpenSSH known_hosts, read and matched the way ssh(1) does it: `[marker] patterns keytype base64
 * [comment]`; patterns are comma-separated globs (`*`, `?`, `!negation`) or one hashed name
 * `|1|salt|hmac-sha1`; a host on a port other than 22 is named `[host]:port`. Pure: the caller
 * reads and appends the file.
 */
export interface KnownHostEntry {
  /** 1-based line number, for error messages. */
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  patterns: string;
  keyType: string;
  /** The SSH wire-format public key blob (what the base64 field decodes to). */
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'known'; entry: KnownHostEntry }
  | { kind: 'unknown' }
  /** known_hosts holds another key for this host (same type, or only other types). */
  | { kind: 'changed'; entry: KnownHostEntry }
  | { kind: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] === '@revoked') marker = 'revoked';
      else if (fields[0] === '@cert-authority') marker = 'cert-authority';
      else return; // an unknown marker: ssh(1) skips the line too
      fields.shift();
    }
    const [patterns, keyType, base64] = fields;
    if (patterns === undefined || keyType === undefined || base64 === undefined) return;
    const key = Buffer.from(base64, 'base64');
    if (keyBlobType(key) !== keyType) return; // corrupt or truncated line
    entries.push({ line: index + 1, marker, patterns, keyType, key });
  });
  return entries;
}

/** The name a host is filed under in known_hosts. */
export function knownHostId(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type written inside a public key blob (`ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`). */
export function keyBlobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** One known_hosts line recording this key for this host (what trust on first use appends). */
export function knownHostLine(hostId: string, blob: Buffer): string {
  return `${hostId} ${keyBlobType(blob) ?? 'unknown'} ${blob.toString('base64')}\n`;
}

/** True when the entry's host field names this host (plain, glob, negated or hashed). */
export function entryMatches(entry: KnownHostEntry, hostId: string): boolean {
  if (entry.patterns.startsWith('|1|')) return hashedNameMatches(entry.patterns, hostId);
  let matched = false;
  for (const pattern of entry.patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (globMatches(negated ? pattern.slice(1) : pattern, hostId)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Decides what to do with the key a server offered. */
export function checkHostKey(entries: readonly KnownHostEntry[], hostId: string, blob: Buffer): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, hostId));
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(blob));
  if (same) return { kind: 'known', entry: same };
  const type = keyBlobType(blob);
  // A different key of the same type is the classic change. A host known only by keys of other
  // types is refused too: the client asks for the known types first, so a server that answers
  // with another type no longer has the key we know.
  const other = plain.find((e) => e.keyType === type) ?? plain[0];
  return other ? { kind: 'changed', entry: other } : { kind: 'unknown' };
}

/** Host key algorithms we offer, best first (no SHA-1 ssh-rsa, no DSA). */
export const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
] as const;

/**
 * The algorithms to offer a host: those of its known keys first (as ssh(1) does), so a server
 * with several host keys answers with the one we can verify.
 */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[], hostId: string): string[] {
  const knownTypes = new Set(entries.filter((e) => e.marker === undefined && entryMatches(e, hostId)).map((e) => e.keyType));
  const algorithmType = (a: string): string => (a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a);
  const known = HOST_KEY_ALGORITHMS.filter((a) => knownTypes.has(algorithmType(a)));
  return [...known, ...HOST_KEY_ALGORITHMS.filter((a) => !known.includes(a))];
}

function hashedNameMatches(field: string, hostId: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostId).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`).test(name.toLowerCase());
}
