/**
 * The real CLI (src/cli/main.ts) in a child process of its own, as bin/dbfleet.js runs the build:
 * what a test sends SIGINT / SIGTERM to. Arguments after the script are the CLI's; JSON log lines
 * (level info) go to stderr, where the parent watches for a phase to start.
 */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(['node', 'dbfleet', ...process.argv.slice(2)]);
