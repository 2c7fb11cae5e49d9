import { RemoteError } from '../../core/errors.js';
import type { MysqlAdmin } from '../../mysql/admin.js';

/** A query on the dump's source that has run at least LONG_QUERY_S seconds. */
export interface LongQuery {
  id: number;
  user: string;
  seconds: number;
  query: string;
}

/** How long a running query on the source may have run for a dump to start beside it. */
export const LONG_QUERY_S = 1;

/**
 * Refuses a dump whose FLUSH TABLES would meet a long query on the source (MySQL, see
 * Dialect.dumpFlushesTables): the flush waits for it, and every new query on its tables then waits
 * until it ends, even once the dump gave up at its lock_wait_timeout (measured on 9.7.4: a reader
 * waited the rest of an 8 s query after a flush that timed out after 1 s). So a seed by dump starts
 * only while no client query has run LONG_QUERY_S or longer; one that starts after this check can
 * still hold the flush, for at most the dump's lock wait, and its tables' readers until it ends.
 */
export async function checkSourceQuiet(donor: MysqlAdmin): Promise<void> {
  const rows = await donor.session.query(
    "SELECT id, user, time, LEFT(info, 120) AS info FROM information_schema.processlist WHERE command = 'Query' AND id <> CONNECTION_ID() AND user NOT IN ('system user', 'event_scheduler') AND info IS NOT NULL AND time >= ? ORDER BY time DESC",
    [LONG_QUERY_S],
  );
  const long: LongQuery[] = rows.map((r) => ({ id: Number(r['id']), user: String(r['user']), seconds: Number(r['time']), query: String(r['info']) }));
  if (long.length === 0) return;
  const named = long.slice(0, 5).map((q) => `thread ${q.id} (${q.user}, ${q.seconds} s: ${q.query})`).join('; ');
  throw new RemoteError('SEED_SOURCE_BUSY', `the dump's source ${donor.endpoint.host}:${donor.endpoint.port} runs ${long.length} quer${long.length === 1 ? 'y' : 'ies'} of ${LONG_QUERY_S} s or more: ${named}. mysqldump's FLUSH TABLES would wait for ${long.length === 1 ? 'it' : 'them'}, and every new query on ${long.length === 1 ? 'its' : 'their'} tables with it`, {
    retryable: true,
    next: 'let them end (or stop them), then resume; a seed by CLONE takes no such lock (give the account BACKUP_ADMIN on the source)',
    details: { long },
  });
}
