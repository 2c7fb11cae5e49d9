import { defaultMysqlPrefix, ENGINE_KINDS, MARIADB_ENGINE, type EngineKind, type MysqldEngine } from '../../src/shard/mysqld/mysqld-engine.js';

/**
 * The engines a benchmark runs on, in one invocation: both by default (MariaDB 10.11, Oracle MySQL
 * 9.7 from the scripts/ensure-mysql prefix), or those BENCH_ENGINES names (e.g. BENCH_ENGINES=mysql).
 * Results keep MariaDB's figures at metrics.<name> (as before MySQL was measured) and MySQL's
 * at metrics.mysql.<name>; samples likewise (samples.<name>, samples.mysql.<name>).
 */
export function benchEngines(env: NodeJS.ProcessEnv = process.env): EngineKind[] {
  const raw = env['BENCH_ENGINES'];
  if (!raw) return [...ENGINE_KINDS];
  const kinds = raw.split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) if (!(ENGINE_KINDS as readonly string[]).includes(k)) throw new Error(`BENCH_ENGINES: unknown engine "${k}"`);
  return kinds as EngineKind[];
}

export function benchEngine(kind: EngineKind): MysqldEngine {
  return kind === 'mysql' ? { kind: 'mysql', prefix: defaultMysqlPrefix(process.env) } : MARIADB_ENGINE;
}

/**
 * Places one engine's figures where the result format wants them: MariaDB's at the top level,
 * MySQL's under `mysql`. `into` is the metrics (or samples) object of the result.
 */
export function putForEngine(into: Record<string, unknown>, kind: EngineKind, figures: Record<string, unknown>): void {
  if (kind === 'mariadb') Object.assign(into, figures);
  else into[kind] = { ...((into[kind] as Record<string, unknown> | undefined) ?? {}), ...figures };
}
