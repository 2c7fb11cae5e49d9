import { UsageError } from '../core/errors.js';

/**
 * `mysql://USER@HOST:PORT/DATABASE` for the MyDNS database. A password in the DSN is refused: it
 * would end up in shell history, `ps` output and logs. It comes from DBFLEET_DNS_PASSWORD or a
 * 0600 file instead.
 */
export interface DnsDsn {
  user: string;
  host: string;
  port: number;
  database: string;
  /** Set when the DSN names a unix socket: mysql://user@localhost/db?socket=/path */
  socketPath?: string | undefined;
}

export function parseDsn(text: string, field = '--dsn'): DnsDsn {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${field} is not a URL: expected mysql://USER@HOST:PORT/DATABASE`);
  }
  if (url.protocol !== 'mysql:') throw new UsageError(`${field} must start with mysql://, got ${url.protocol}//`);
  if (url.password !== '') {
    throw new UsageError(`${field} must not contain a password`, { next: 'put it in DBFLEET_DNS_PASSWORD or a 0600 file passed with --password-file' });
  }
  const user = decodeURIComponent(url.username);
  if (!/^[A-Za-z0-9_.$-]{1,80}$/.test(user)) throw new UsageError(`${field} needs a user: mysql://USER@HOST:PORT/DATABASE`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError(`${field} needs a host`);
  const port = url.port === '' ? 3306 : Number(url.port);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new UsageError(`${field} needs a database name (letters, digits, "_"): mysql://USER@HOST:PORT/DATABASE`);
  const socket = url.searchParams.get('socket');
  return { user, host, port, database, socketPath: socket ?? undefined };
}

/** The DSN as it may be shown: never with a password (it never has one). */
export function formatDsn(d: DnsDsn): string {
  const host = d.host.includes(':') ? `[${d.host}]` : d.host;
  return `mysql://${d.user}@${host}:${d.port}/${d.database}${d.socketPath ? `?socket=${d.socketPath}` : ''}`;
}
