import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { registerCheckerCommands } from './checker.js';
import { registerDemoCommand } from './demo.js';
import { registerDnsCommands } from './dns.js';
import { registerMigrateCommands } from './migrate.js';
import { registerProbeCommand } from './probe.js';
import { registerSandboxCommands } from './sandbox.js';
import { registerShardCommands } from './shard.js';
import { registerShardSwitchover } from './shard-switchover.js';
import { registerShardApply } from './shard-apply.js';
import { registerShardRetire } from './shard-retire.js';

/** Every command group registers itself here, one file per group. */
export function registerCommands(program: Command, ctx: CliContext): void {
  registerSandboxCommands(program, ctx);
  registerDnsCommands(program, ctx);
  registerCheckerCommands(program, ctx);
  registerProbeCommand(program, ctx);
  registerShardCommands(program, ctx);
  registerShardSwitchover(program, ctx);
  registerShardApply(program, ctx);
  registerShardRetire(program, ctx);
  registerMigrateCommands(program, ctx);
  registerDemoCommand(program, ctx);
}
