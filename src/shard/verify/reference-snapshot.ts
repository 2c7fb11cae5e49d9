import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';

/**
 * The reference side of verify: a current, serving replica read in a consistent snapshot, so it
 * never has to stop. Its position is read from mysql.gtid_slave_pos inside the snapshot: on an
 * InnoDB table MariaDB updates it in the same transaction as each applied transaction, so the
 * snapshot sees exactly the position of the data it sees (the @@gtid_slave_pos variable moves on).
 */

/** The gtid_slave_pos tables of a server (mysql.gtid_slave_pos and any gtid_pos_auto_engines ones) with their engines. */
async function slavePosTables(a: MysqlAdmin): Promise<{ name: string; engine: string }[]> {
  const rows = await a.session.query("SELECT table_name AS t, engine AS e FROM information_schema.tables WHERE table_schema = 'mysql' AND (table_name = 'gtid_slave_pos' OR table_name LIKE 'gtid\\_slave\\_pos\\_%')");
  return rows.map((r) => ({ name: String(r['t']), engine: String(r['e'] ?? '') }));
}

/** The reference's gtid_slave_pos tables, read once per compare: what openSnapshot reads its position from. */
export type SlavePosTables = readonly { name: string; engine: string }[];

/**
 * The reference's gtid_slave_pos tables when it can be read in a snapshot (every one InnoDB), or
 * why not (then verify stops both copies instead).
 */
export async function snapshotSupport(a: MysqlAdmin): Promise<{ tables: SlavePosTables } | { unusable: string }> {
  const tables = await slavePosTables(a);
  if (tables.length === 0) return { unusable: 'it has no mysql.gtid_slave_pos table' };
  const other = tables.filter((t) => t.engine.toLowerCase() !== 'innodb');
  if (other.length > 0) return { unusable: `its ${other.map((t) => `mysql.${t.name} (${t.engine})`).join(', ')} is not InnoDB, so a snapshot does not show its position` };
  return { tables };
}

/** The reference must replicate: it is waited for, and it serves reads. */
export async function checkReferenceReplicates(a: MysqlAdmin): Promise<void> {
  const st = await a.replicaStatus();
  if (st && st.ioRunning === 'yes' && st.sqlRunning) return;
  const how = st ? `io=${st.ioRunning} sql=${st.sqlRunning ? 'yes' : 'no'}${st.lastSqlError || st.lastIoError ? `, last error: ${st.lastSqlError || st.lastIoError}` : ''}` : 'no replication configured';
  throw new RemoteError('VERIFY_REFERENCE_NOT_REPLICATING', `the reference replica ${a.endpoint.host} does not replicate (${how})`, {
    next: `fix its replication (or, if a crashed compare left it stopped, START SLAVE on it), then resume`,
  });
}

/**
 * Opens a consistent snapshot on the reference and returns the GTID position its data stands at:
 * per domain, the row of highest sub_id in the gtid_slave_pos tables, read inside the snapshot.
 * The transaction stays open (the caller's COMMIT ends it; so does closing the connection).
 */
export async function openSnapshot(a: MysqlAdmin, tables: SlavePosTables): Promise<string> {
  await a.session.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await a.session.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
  const rows = [];
  for (const t of tables) {
    if (!/^gtid_slave_pos[A-Za-z0-9_]*$/.test(t.name)) throw new RemoteError('VERIFY_UNSAFE_NAME', `mysql.${t.name} has a name dbfleet will not quote`);
    rows.push(...(await a.session.query(`SELECT domain_id AS d, sub_id AS s, server_id AS sv, seq_no AS n FROM mysql.\`${t.name}\``)));
  }
  const last = new Map<string, { sub: bigint; gtid: string }>();
  for (const r of rows) {
    const domain = String(r['d']);
    const sub = BigInt(String(r['s']));
    const seen = last.get(domain);
    if (!seen || sub > seen.sub) last.set(domain, { sub, gtid: `${domain}-${String(r['sv'])}-${String(r['n'])}` });
  }
  if (last.size === 0) throw new RemoteError('VERIFY_POSITION', `${a.endpoint.host} has an empty mysql.gtid_slave_pos: no position to compare at`, { next: 'let it replicate a transaction from the master, then resume' });
  return [...last.keys()]
    .sort((x, y) => Number(x) - Number(y))
    .map((d) => last.get(d)?.gtid)
    .join(',');
}
