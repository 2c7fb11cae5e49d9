import { UsageError } from '../../core/errors.js';
import type { Host } from '../../host/host.js';

/**
 * MySQL's root@localhost on a process dbfleet makes: authenticated by the socket peer's OS user
 * (auth_socket), as MariaDB's unix_socket root is, never by an empty password that anyone able
 * to reach the socket could use. The plugin is installed where it is missing (a template being
 * initialised, or a copy a CLONE gave the donor's plugin table), so the same statements serve
 * `mysqld --initialize` and a later start's init file; unlogged, so they add no GTID.
 */
export function localRootSql(osUser: string): string {
  if (!/^[a-z_][a-z0-9_.-]{0,31}$/i.test(osUser)) {
    throw new UsageError(`the OS user ${JSON.stringify(osUser)} cannot own root@localhost: expected a plain login name`);
  }
  return [
    'SET SESSION sql_log_bin = 0;',
    // PREPARE takes a variable, not an expression; an init file stops at its first error, so the
    // install must not fail when the plugin is already there
    "SET @dbfleet_sql = IF((SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'auth_socket') = 0, 'INSTALL PLUGIN auth_socket SONAME ''auth_socket.so''', 'DO 0');",
    'PREPARE dbfleet_stmt FROM @dbfleet_sql;',
    'EXECUTE dbfleet_stmt;',
    'DEALLOCATE PREPARE dbfleet_stmt;',
    // a donor a CLONE copied may have no root@localhost at all
    `CREATE USER IF NOT EXISTS 'root'@'localhost' IDENTIFIED WITH auth_socket AS '${osUser}';`,
    `ALTER USER 'root'@'localhost' IDENTIFIED WITH auth_socket AS '${osUser}';`,
    "GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' WITH GRANT OPTION;",
  ].join('\n');
}

/** The OS user commands run as on a host: the one whose socket connections root@localhost accepts. */
export async function hostOsUser(host: Host): Promise<string> {
  return (await host.check('id', ['-un'], { timeoutMs: 10_000 })).stdout.trim();
}
