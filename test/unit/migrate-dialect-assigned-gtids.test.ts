/**
 * The dialect's read of the stored ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS setting (step 9 reads it
 * on a resume instead of setting it again under a running applier), per server version. The column
 * exists with the option (MySQL 8.0.23+, and so Aurora 3); MariaDB and Aurora 2 have neither.
 *
 * Measured on a real MySQL 9.7.4 (and made for real in test/integration/migrate-cutover.test.ts):
 * CHANGE REPLICATION SOURCE TO ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS = LOCAL is refused with ER
 * 3081 while either thread runs (IO alone, SQL alone, both); the stored `LOCAL` stays through
 * STOP/START REPLICA, a CHANGE REPLICATION SOURCE of host, port, user, password, file, position, SSL
 * and GET_SOURCE_PUBLIC_KEY, a plain RESET REPLICA (the row goes; the setting comes back at START)
 * and a restart of mysqld; RESET REPLICA ALL clears it (a new channel stores OFF).
 */
import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../src/mysql/dialect.js';
import { dialectFor } from '../../src/mysql/pick-dialect.js';
import { parseServerVersion, type VersionVariables } from '../../src/mysql/server-version.js';
import { auroraEmulatedDialect } from '../../src/migrate/aurora-emulated-dialect.js';

const QUERY = "SELECT Assign_gtids_to_anonymous_transactions_type AS type FROM mysql.slave_relay_log_info WHERE Channel_name = ''";
const dialect = (vars: VersionVariables): Dialect => dialectFor(parseServerVersion(vars));

describe('reading the stored GTID assignment of a replica, per server (pure)', () => {
  it.each<[string, Dialect, string | undefined]>([
    ['MySQL 5.7.44', dialect({ version: '5.7.44-log' }), undefined],
    ['MySQL 8.0.22 (no ASSIGN_GTIDS_TO_ANONYMOUS_TRANSACTIONS yet)', dialect({ version: '8.0.22' }), undefined],
    ['MySQL 8.0.23', dialect({ version: '8.0.23' }), QUERY],
    ['MySQL 8.4.3', dialect({ version: '8.4.3' }), QUERY],
    ['MySQL 9.7.4', dialect({ version: '9.7.4-2' }), QUERY],
    ['Aurora MySQL 2', dialect({ version: '5.7.12', auroraVersion: '2.11.2' }), undefined],
    ['Aurora MySQL 3', dialect({ version: '8.0.36', auroraVersion: '3.08.0' }), QUERY],
    ['MariaDB 10.11', dialect({ version: '10.11.6-MariaDB' }), undefined],
    ["the sandbox's Aurora on MySQL 9.7", auroraEmulatedDialect(parseServerVersion({ version: '9.7.4-2' })), QUERY],
    ["the sandbox's Aurora on MariaDB", auroraEmulatedDialect(parseServerVersion({ version: '10.11.6-MariaDB' })), undefined],
  ])('%s', (_server, d, query) => {
    expect(d.assignedGtidsQuery()?.sql).toBe(query);
    // readable exactly where step 9 can assign: a resume always knows whether to set it
    expect(d.assignedGtidsQuery() !== undefined).toBe(d.assignGtidsToAnonymous() !== undefined);
  });
});
