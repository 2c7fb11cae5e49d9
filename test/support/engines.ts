import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMysqlPrefix, ENGINE_KINDS, engineBinaries, MARIADB_ENGINE, type EngineKind, type MysqldEngine } from '../../src/shard/mysqld/mysqld-engine.js';

/**
 * The engines the integration tests run on: both by default (MariaDB 10.11 from apt, Oracle
 * MySQL 9.7 from the prefix scripts/ensure-mysql fills). DBFLEET_TEST_ENGINES=mariadb (or mysql)
 * narrows a local run; CI runs both. An engine that is asked for and not installed fails the run
 * in global-setup, loudly: it never skips.
 */
export function testEngineKinds(env: NodeJS.ProcessEnv = process.env): EngineKind[] {
  const raw = env['DBFLEET_TEST_ENGINES'];
  if (raw === undefined || raw.trim() === '') return [...ENGINE_KINDS];
  const kinds = raw.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) {
    if (!(ENGINE_KINDS as readonly string[]).includes(k)) throw new Error(`DBFLEET_TEST_ENGINES: unknown engine "${k}" (known: ${ENGINE_KINDS.join(', ')})`);
  }
  return kinds as EngineKind[];
}

export const TEST_ENGINES: readonly EngineKind[] = testEngineKinds();

export function testEngine(kind: EngineKind): MysqldEngine {
  return kind === 'mysql' ? { kind: 'mysql', prefix: defaultMysqlPrefix(process.env) } : MARIADB_ENGINE;
}

/** The engine's command-line client (absolute for the MySQL prefix). */
export function clientOf(kind: EngineKind): string {
  return engineBinaries(testEngine(kind)).client;
}

/** Why an engine cannot run here, or undefined when it can. */
export function engineMissing(kind: EngineKind): string | undefined {
  if (kind === 'mariadb') return existsSync('/usr/sbin/mariadbd') ? undefined : 'mariadbd is not installed (run scripts/ensure-deps)';
  const prefix = defaultMysqlPrefix(process.env);
  return existsSync(join(prefix, '.dbfleet-installed')) && existsSync(join(prefix, 'bin', 'mysqld'))
    ? undefined
    : `MySQL is not installed in ${prefix} (run scripts/ensure-mysql; npm test does it)`;
}
