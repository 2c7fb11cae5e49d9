#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// Exit only once stdout and stderr have flushed: to a pipe they are asynchronous, and exiting at
// once would cut a large --json document short.
const flushed = (stream) => new Promise((resolve) => stream.write('', resolve));

main(process.argv).then(async (code) => {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});
