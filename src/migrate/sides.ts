import { BugError } from '../core/errors.js';
import type { MigrateConfig, MigrateInstance } from './migrate-schema.js';

/** The engines a side of a migration can run. */
export type SideEngine = MigrateConfig['source']['engine'] | MigrateConfig['target']['engine'];

/** One side of the switch: where writes are now (`from`) or where they go (`to`). */
export interface Side {
  /** Which side of the config this is, whatever the direction. */
  role: 'source' | 'target';
  engine: SideEngine;
  writer: MigrateInstance;
  readers: readonly MigrateInstance[];
}

export function isAurora(engine: SideEngine): boolean {
  return engine === 'aurora-mysql' || engine === 'aurora-emulated';
}

export interface Sides {
  source: Side;
  target: Side;
}

/** Both sides from the config; the target's instances from `discovered` when the config has `target.discover`. */
export function sidesOf(config: MigrateConfig, discovered?: { writer: MigrateInstance; readers: MigrateInstance[] }): Sides {
  const listed = config.target.writer ? { writer: config.target.writer, readers: config.target.readers } : undefined;
  const t = listed ?? discovered;
  if (!t) throw new BugError('target.discover needs the discovered instances');
  return {
    source: { role: 'source', engine: config.source.engine, writer: config.source.writer, readers: config.source.readers },
    target: { role: 'target', engine: config.target.engine, writer: t.writer, readers: t.readers },
  };
}

export function describeInstance(i: MigrateInstance): string {
  return `${i.id} (${i.host}:${i.port})`;
}
