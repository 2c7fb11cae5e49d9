import type { Logger } from '../core/logger.js';

/** What every command receives from the root: streams, environment and a logger. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Set by a command's action: the process exit code. */
  exitCode: number;
}

export function printJson(ctx: CliContext, doc: unknown): void {
  ctx.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
