/**
 * The alternative measure-capacity.ts compares against: the same fake instances built on mysql2's
 * own server (`mysql2.createServer`, which its test-suite uses), answering from answers.ts. Only
 * role 'writer' and flavour Aurora 3, no modes: it exists to measure, not to be used.
 *
 *   node --import tsx bench/lib/fake-mysql/mysql2-candidate-process.ts '{"instances":4000,"secondOctet":246}'
 *
 * Prints {"event":"ready","pid":n} when every port is open; exits when stdin closes.
 */
import mysql from 'mysql2';
import { answer } from './answers.js';
import { addressOf } from './fleet-config.js';
import type { AnswerState } from './types.js';
import { SERVER_CAPABILITIES } from './wire.js';

interface ServerConnection {
  serverHandshake(args: Record<string, unknown>): void;
  on(event: 'query', listener: (sql: string) => void): void;
  on(event: 'error', listener: () => void): void;
  writeColumns(columns: Record<string, unknown>[]): void;
  writeTextRow(values: (string | null)[]): void;
  writeEof(): void;
  writeOk(): void;
  writeError(args: { code: number; message: string }): void;
}

const { instances, secondOctet } = JSON.parse(process.argv[2] ?? '{}') as { instances?: number; secondOctet?: number };
const state: AnswerState = { role: 'writer', flavour: 'aurora-mysql-3' };
let connectionId = 0;

function onConnection(conn: ServerConnection): void {
  conn.on('error', () => undefined);
  conn.serverHandshake({
    protocolVersion: 10,
    serverVersion: '8.0.32',
    connectionId: ++connectionId,
    statusFlags: 2,
    characterSet: 255,
    capabilityFlags: SERVER_CAPABILITIES,
  });
  conn.on('query', (sql) => {
    const r = answer(sql, state);
    if (r.kind === 'error') {
      conn.writeError({ code: r.code, message: r.message });
      return;
    }
    // writeTextResult is not used: in mysql2 3.x it pads every row with empty leading columns.
    conn.writeColumns(
      r.columns.map((c) => ({
        catalog: 'def', schema: '', table: '', orgTable: '', name: c.name, orgName: '',
        characterSet: c.type === 'integer' ? 63 : 255, columnLength: c.type === 'integer' ? 21 : 4096,
        columnType: c.type === 'integer' ? 8 : 253, flags: 0, decimals: 0,
      })),
    );
    for (const row of r.rows) conn.writeTextRow(row);
    conn.writeEof();
  });
}

const servers = await Promise.all(
  Array.from({ length: instances ?? 1 }, async (_, k) => {
    const { host, port } = addressOf({ kind: 'loopback-addresses', secondOctet: secondOctet ?? 246, port: 3306 }, k);
    const server = mysql.createServer(onConnection as never) as unknown as { listen(port: number, host: string, cb: () => void): void; close(): void };
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    return server;
  }),
);
process.stdout.write(`${JSON.stringify({ event: 'ready', pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of servers) s.close();
  process.exit(0);
});
