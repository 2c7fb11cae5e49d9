import type { Endpoint, SqlSession, Timeouts } from '../../mysql/admin.js';

const IDENT = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The acknowledged writes of one client that are missing from a server (the writer after a move):
 * what "no acknowledged write lost" is checked against. Empty means nothing was lost.
 */
export async function missingWrites(
  openSession: (e: Endpoint, t: Timeouts) => Promise<SqlSession>,
  server: Endpoint,
  table: string,
  client: string,
  acknowledged: readonly number[],
): Promise<number[]> {
  if (acknowledged.length === 0) return [];
  if (!IDENT.test(table)) throw new Error(`table must be a plain identifier, got ${JSON.stringify(table)}`);
  const s = await openSession(server, { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
  try {
    const present = new Set((await s.query(`SELECT seq FROM \`${table}\` WHERE client = ?`, [client])).map((r) => Number(r['seq'])));
    return acknowledged.filter((seq) => !present.has(seq));
  } finally {
    await s.close();
  }
}
