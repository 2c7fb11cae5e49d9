/** `migrate run` refuses bad input before it touches anything (exit 2). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import type { MigrateEnv } from '../../src/migrate/migrate-env.js';
import { migrateRun } from '../../src/migrate/migrate-run.js';
import { readerEntriesFor } from '../../src/migrate/runbook.js';
import type { Side } from '../../src/migrate/sides.js';

const side = (role: Side['role'], host: string, readers: string[]): Side => ({
  role,
  engine: role === 'source' ? 'mysql' : 'aurora-mysql',
  writer: { id: `${role}-w`, host, port: 3306 },
  readers: readers.map((h, i) => ({ id: `${role}-r${i}`, host: h, port: 3306 })),
});

/** Any use of the world (connections, DNS, sleeping) fails the test: the refusal must come first. */
function untouchable(sides: { source: Side; target: Side }): MigrateEnv {
  const touched = () => {
    throw new Error('the refusal touched the world');
  };
  return { sides, config: { dns: { reader_record: 'main-r' } }, connect: touched, openDns: touched, sleep: touched } as unknown as MigrateEnv;
}

describe('migrate run guards (pure input checks)', () => {
  it('refuses a target without readers with a config error (exit 2), before any connection', async () => {
    const env = untouchable({ source: side('source', '10.0.0.10', ['10.0.0.11']), target: side('target', '10.0.1.10', []) });
    const err = await migrateRun(env, { journal: '/nonexistent/never-written.journal' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).cliExitCode).toBe(2);
    expect((err as ConfigError).message).toMatch(/^target has no readers: the replica record main-r would have no serving entry/);
  });

  it('lets a resume of a started run through although the target has no readers (only a fresh run is refused)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dbfleet-guard-'));
    try {
      const journal = join(dir, 'started.journal');
      await writeFile(journal, `${JSON.stringify({ phase: '0-snapshot', event: 'done', at: '2026-11-23T15:00:00.000Z', state: {} })}\n`);
      const env = untouchable({ source: side('source', '10.0.0.10', ['10.0.0.11']), target: side('target', '10.0.1.10', []) });
      // past the guard the resume reaches for the world, which this env refuses
      const err = await migrateRun(env, { journal, resume: true }).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toMatch(/touched the world/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses --accept-source-position without --resume (exit 2, nothing touched)', async () => {
    const env = untouchable({ source: side('source', '10.0.0.10', ['10.0.0.11']), target: side('target', '10.0.1.10', ['10.0.1.11']) });
    const err = await migrateRun(env, { journal: '/nonexistent/never-written.journal', acceptSourcePosition: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/--accept-source-position needs --resume/);
  });

  it("keeps the new writer at weight 0 in the replica record: a client of it must not reach the writer before step 7", () => {
    expect(readerEntriesFor(side('target', '10.0.1.10', ['10.0.1.11']), 100)).toEqual([{ address: '10.0.1.10', weight: 0 }, { address: '10.0.1.11', weight: 100 }]);
    expect(readerEntriesFor(side('target', '10.0.1.10', []), 100)).toEqual([{ address: '10.0.1.10', weight: 0 }]);
  });
});
