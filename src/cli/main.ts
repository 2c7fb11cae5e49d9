import { Command, CommanderError } from 'commander';
import { createLogger } from '../core/logger.js';
import { isDbfleetError, errorMessage } from '../core/errors.js';
import type { CliContext } from './context.js';
import { registerCommands } from './commands.js';

/**
 * The CLI root. Parses argv, runs one command, turns errors into exit codes:
 * 0 success, 1 the operation failed or was refused for safety, 2 bad usage or config.
 * bin/dbfleet.js is the only caller of process.exit, with the code returned here.
 */
export async function main(argv: readonly string[], overrides: Partial<CliContext> = {}): Promise<number> {
  const ctx: CliContext = {
    stdout: overrides.stdout ?? process.stdout,
    stderr: overrides.stderr ?? process.stderr,
    env: overrides.env ?? process.env,
    logger: overrides.logger ?? createLogger({ level: process.env.DBFLEET_LOG_LEVEL ?? 'info', pretty: process.stderr.isTTY === true }),
    exitCode: 0,
  };
  const program = new Command('dbfleet')
    .description('Fleet manager for MySQL / Aurora MySQL: failover through MyDNS, shard consolidation, migration')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)');
  registerCommands(program, ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
      return 2;
    }
    if (isDbfleetError(e)) {
      ctx.stderr.write(`dbfleet: ${e.describe()}\n`);
      ctx.logger.debug({ err: e, code: e.code }, 'command failed');
      return e.cliExitCode;
    }
    ctx.stderr.write(`dbfleet: unexpected error (a bug): ${errorMessage(e)}\n`);
    if (e instanceof Error && e.stack) ctx.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
