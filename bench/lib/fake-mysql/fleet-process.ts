/**
 * Runs a fake MySQL fleet (see fake-fleet.ts) as its own process, controlled over stdin/stdout
 * with the line protocol in control.ts:
 *
 *   node --import tsx bench/lib/fake-mysql/fleet-process.ts '{"clusters":1000,"instancesPerCluster":4}'
 *
 * Without an argument the first stdin line is the config. stdout carries only protocol lines;
 * diagnostics go to stderr. It stops on `shutdown`, on stdin closing, and on SIGTERM/SIGINT.
 */
import { createInterface } from 'node:readline';
import { handleControlLine, type ControlEvent, type ControlResponse } from './control.js';
import { FakeFleet } from './fake-fleet.js';

function send(message: ControlEvent | ControlResponse): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const iterator = lines[Symbol.asyncIterator]();
  let configText = process.argv[2];
  if (configText === undefined) {
    const first = await iterator.next();
    configText = first.done ? '{}' : first.value;
  }

  let fleet: FakeFleet;
  try {
    fleet = await FakeFleet.start(JSON.parse(configText) as object);
  } catch (e) {
    send({ event: 'failed', error: e instanceof Error ? e.message : String(e) });
    process.exitCode = 1;
    lines.close();
    return;
  }

  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      process.stderr.write(`fake-mysql: stopping (${why})\n`);
      lines.close();
      process.stdin.destroy();
      await fleet.close();
    })();
    return stopping;
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  send({ event: 'ready', pid: process.pid, instances: fleet.list() });
  // One request at a time, in order: responses come back in request order.
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    if (next.value.trim() === '') continue;
    const { response, shutdown } = await handleControlLine(fleet, next.value);
    send(response);
    if (shutdown) break;
  }
  await stop('control channel closed or shutdown requested');
}

main().catch((e: unknown) => {
  process.stderr.write(`fake-mysql: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
