import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** Every command group registers itself here, one file per group. */
export function registerCommands(program: Command, ctx: CliContext): void {
  void program;
  void ctx;
}
