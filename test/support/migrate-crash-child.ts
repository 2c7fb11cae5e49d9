/**
 * Runs `migrate run` (or `migrate rollback`, `migrate run --resume`, `migrate rollback --resume`) and SIGKILLs itself right after the named phase is
 * journaled as done: the parent test then resumes or rolls back from that journal. The kill comes
 * from the runner's own "phase X: done" log line, which it writes after the journal entry is fsynced.
 * A `killAfter` with a colon names a log message inside a phase instead (e.g.
 * "9-old-writer-follows: replica started"): the kill lands in the middle of that phase.
 */
import { createLogger } from '../../src/core/logger.js';
import { migrateEnvFromConfig } from '../../src/migrate/migrate-env-from-config.js';
import { migrateRun } from '../../src/migrate/migrate-run.js';
import { migrateRollback } from '../../src/migrate/rollback.js';

const [config, journal, killAfter, mode] = process.argv.slice(2) as [string, string, string, 'run' | 'rollback' | 'resume' | 'rollback-resume'];
const logger = createLogger({
  level: 'info',
  destination: {
    write(line: string) {
      const at = killAfter.includes(':') ? `"msg":"${killAfter}` : `"msg":"phase ${killAfter}: done"`;
      if (line.includes(at)) process.kill(process.pid, 'SIGKILL');
    },
  },
});
const { env } = await migrateEnvFromConfig(config, { env: {}, logger, actor: 'crash-child' });
if (mode === 'rollback' || mode === 'rollback-resume') await migrateRollback(env, { journal, resume: mode === 'rollback-resume' });
else await migrateRun(env, { journal, resume: mode === 'resume' });
process.stdout.write(`finished without reaching ${killAfter}\n`);
