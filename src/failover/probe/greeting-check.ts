import { connect } from 'node:net';

export interface GreetingResult {
  ok: boolean;
  /** Why a new connection is not usable: refused, timed out, or the server's own error packet. */
  error?: string;
}

/**
 * Proves that a NEW connection to a MySQL server can be opened, as cheaply as possible: a TCP
 * connect and the server's first packet, without authenticating. That is exactly where the
 * seed's outage showed (connection tracking full: SYNs dropped while established connections
 * worked) and where a server out of connections answers (an error packet, "Too many
 * connections", instead of the handshake). A full client login per check costs ~40x more CPU
 * and memory, which matters for a checker watching thousands of instances.
 */
export function greetingCheck(host: string, port: number, timeoutMs: number): Promise<GreetingResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host, port });
    const done = (r: GreetingResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no greeting from ${host}:${port} within ${timeoutMs} ms` }), timeoutMs);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // parse only a whole packet: 3-byte length, 1-byte sequence, then the payload
      if (buffered.length < 4) return;
      const length = buffered.readUIntLE(0, 3);
      if (length === 0) return done({ ok: false, error: `empty first packet from ${host}:${port}` });
      if (buffered.length < 4 + length) return;
      const marker = buffered[4];
      if (marker === 0x0a) done({ ok: true });
      else if (marker === 0xff) {
        // ERR packet: 0xff, 2-byte code, then the message (no SQL state before the handshake)
        if (length < 3) return done({ ok: false, error: `truncated error packet from ${host}:${port}` });
        const code = buffered.readUInt16LE(5);
        done({ ok: false, error: `server refused new connections: ${code} ${buffered.subarray(7, 4 + length).toString('utf8').trim()}` });
      } else done({ ok: false, error: `unexpected first packet 0x${(marker ?? 0).toString(16)} from ${host}:${port}` });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: `new connection to ${host}:${port} failed: ${e.code ?? e.message}` }));
    socket.on('close', () => done({ ok: false, error: `${host}:${port} closed the connection before greeting` }));
  });
}
