/**
 * The slice of the MySQL client/server protocol the fake fleet speaks: framing, the v10
 * handshake, OK/ERR/EOF and text result sets (classic EOF-terminated, no CLIENT_DEPRECATE_EOF,
 * no TLS, no compression, no session tracking: the capabilities below never offer them).
 * Reference: https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html
 */

export const Capability = {
  LONG_PASSWORD: 0x1,
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  TRANSACTIONS: 0x2000,
  SECURE_CONNECTION: 0x8000,
  MULTI_RESULTS: 0x20000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 0x200000,
} as const;

export const SERVER_CAPABILITIES =
  Capability.LONG_PASSWORD |
  Capability.FOUND_ROWS |
  Capability.LONG_FLAG |
  Capability.CONNECT_WITH_DB |
  Capability.PROTOCOL_41 |
  Capability.TRANSACTIONS |
  Capability.SECURE_CONNECTION |
  Capability.MULTI_RESULTS |
  Capability.PLUGIN_AUTH |
  Capability.CONNECT_ATTRS |
  Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA;

export const Command = { QUIT: 0x01, INIT_DB: 0x02, QUERY: 0x03, PING: 0x0e, RESET_CONNECTION: 0x1f } as const;

export const ColumnType = { LONGLONG: 0x08, VAR_STRING: 0xfd } as const;

const STATUS_AUTOCOMMIT = 0x0002;
const CHARSET_UTF8MB4_0900 = 255;
const CHARSET_BINARY = 63;
export const NATIVE_PASSWORD = 'mysql_native_password';
const MAX_PAYLOAD = 0xffffff;

/** One MySQL packet: 3-byte little-endian payload length, 1-byte sequence id, payload. */
export function frame(seq: number, payload: Buffer): Buffer {
  if (payload.length >= MAX_PAYLOAD) throw new Error(`fake-mysql: payload of ${payload.length} bytes needs multi-packet framing, which is not implemented`);
  const header = Buffer.allocUnsafe(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = seq & 0xff;
  return Buffer.concat([header, payload]);
}

/**
 * Splits a byte stream into packets. Payloads are views into the received chunk, valid only
 * during the callback (the fake handles every packet synchronously).
 */
export class PacketReader {
  private pending: Buffer | undefined;

  push(chunk: Buffer, onPacket: (seq: number, payload: Buffer) => void): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let at = 0;
    while (buf.length - at >= 4) {
      const len = buf.readUIntLE(at, 3);
      if (buf.length - at < 4 + len) break;
      onPacket(buf[at + 3] ?? 0, buf.subarray(at + 4, at + 4 + len));
      at += 4 + len;
    }
    if (at < buf.length) {
      buf = buf.subarray(at);
      // Copy the remainder: keeping a view would pin the whole chunk.
      this.pending = Buffer.from(buf);
    }
  }
}

function lenencInt(n: number): Buffer {
  if (n < 251) return Buffer.from([n]);
  if (n < 0x10000) return Buffer.from([0xfc, n & 0xff, (n >> 8) & 0xff]);
  if (n < 0x1000000) return Buffer.from([0xfd, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff]);
  const b = Buffer.alloc(9);
  b[0] = 0xfe;
  b.writeBigUInt64LE(BigInt(n), 1);
  return b;
}

function lenencString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([lenencInt(bytes.length), bytes]);
}

function nulString(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16LE(n, 0);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

export interface HandshakeArgs {
  serverVersion: string;
  connectionId: number;
  /** 20 bytes of auth-plugin data (the salt a real server would check the password against). */
  scramble: Buffer;
}

/** Protocol::HandshakeV10, offering mysql_native_password. */
export function handshakeV10(args: HandshakeArgs): Buffer {
  return Buffer.concat([
    Buffer.from([10]),
    nulString(args.serverVersion),
    u32(args.connectionId),
    args.scramble.subarray(0, 8),
    Buffer.from([0]),
    u16(SERVER_CAPABILITIES & 0xffff),
    Buffer.from([CHARSET_UTF8MB4_0900]),
    u16(STATUS_AUTOCOMMIT),
    u16(SERVER_CAPABILITIES >>> 16),
    Buffer.from([21]),
    Buffer.alloc(10),
    args.scramble.subarray(8, 20),
    Buffer.from([0]),
    nulString(NATIVE_PASSWORD),
  ]);
}

export interface HandshakeResponse {
  capabilities: number;
  user: string;
  database: string | undefined;
  /** The auth plugin the client answered with; undefined from pre-plugin clients. */
  authPlugin: string | undefined;
  /** The client asked to switch to TLS (the fake never offers it). */
  sslRequest: boolean;
}

/** Protocol::HandshakeResponse41. Credentials are not checked: the fake accepts anyone. */
export function parseHandshakeResponse(p: Buffer): HandshakeResponse {
  const capabilities = p.readUInt32LE(0);
  if (p.length === 32) return { capabilities, user: '', database: undefined, authPlugin: undefined, sslRequest: (capabilities & Capability.SSL) !== 0 };
  let at = 32;
  const readNul = (): string => {
    let end = p.indexOf(0, at);
    if (end < 0) end = p.length;
    const s = p.toString('utf8', at, end);
    at = end + 1;
    return s;
  };
  const user = readNul();
  if (capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) {
    const { value, size } = readLenenc(p, at);
    at += size + value;
  } else if (capabilities & Capability.SECURE_CONNECTION) {
    at += 1 + (p[at] ?? 0);
  } else {
    readNul();
  }
  const database = capabilities & Capability.CONNECT_WITH_DB && at < p.length ? readNul() : undefined;
  const authPlugin = capabilities & Capability.PLUGIN_AUTH && at < p.length ? readNul() : undefined;
  return { capabilities, user, database: database || undefined, authPlugin: authPlugin || undefined, sslRequest: false };
}

function readLenenc(p: Buffer, at: number): { value: number; size: number } {
  const first = p[at] ?? 0;
  if (first < 0xfb) return { value: first, size: 1 };
  if (first === 0xfc) return { value: p.readUInt16LE(at + 1), size: 3 };
  if (first === 0xfd) return { value: p.readUIntLE(at + 1, 3), size: 4 };
  return { value: Number(p.readBigUInt64LE(at + 1)), size: 9 };
}

/** Protocol::AuthSwitchRequest: asks the client to answer with mysql_native_password instead. */
export function authSwitchRequest(scramble: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), nulString(NATIVE_PASSWORD), scramble.subarray(0, 20), Buffer.from([0])]);
}

export function okPayload(): Buffer {
  return Buffer.from([0x00, 0x00, 0x00, STATUS_AUTOCOMMIT, 0x00, 0x00, 0x00]);
}

export function errPayload(code: number, sqlState: string, message: string): Buffer {
  return Buffer.concat([Buffer.from([0xff]), u16(code), Buffer.from(`#${sqlState.slice(0, 5).padEnd(5, '0')}`, 'latin1'), Buffer.from(message, 'utf8')]);
}

function eofPayload(): Buffer {
  return Buffer.from([0xfe, 0x00, 0x00, STATUS_AUTOCOMMIT, 0x00]);
}

export interface ColumnSpec {
  name: string;
  type: 'integer' | 'string';
}

function columnDefinition(col: ColumnSpec): Buffer {
  const integer = col.type === 'integer';
  return Buffer.concat([
    lenencString('def'),
    lenencString(''),
    lenencString(''),
    lenencString(''),
    lenencString(col.name),
    lenencString(''),
    Buffer.from([0x0c]),
    u16(integer ? CHARSET_BINARY : CHARSET_UTF8MB4_0900),
    u32(integer ? 21 : 4096),
    Buffer.from([integer ? ColumnType.LONGLONG : ColumnType.VAR_STRING]),
    u16(integer ? 0x80 /* BINARY */ : 0),
    Buffer.from([0]),
    Buffer.alloc(2),
  ]);
}

function textRow(values: readonly (string | null)[]): Buffer {
  return Buffer.concat(values.map((v) => (v === null ? Buffer.from([0xfb]) : lenencString(v))));
}

/** A complete text result set (header, columns, EOF, rows, EOF), framed from sequence `firstSeq`. */
export function resultSet(columns: readonly ColumnSpec[], rows: readonly (readonly (string | null)[])[], firstSeq = 1): Buffer {
  let seq = firstSeq;
  const packets = [frame(seq++, lenencInt(columns.length))];
  for (const c of columns) packets.push(frame(seq++, columnDefinition(c)));
  packets.push(frame(seq++, eofPayload()));
  for (const r of rows) packets.push(frame(seq++, textRow(r)));
  packets.push(frame(seq++, eofPayload()));
  return Buffer.concat(packets);
}
