import type { CliContext } from './context.js';

/**
 * SIGINT (Ctrl-C) and SIGTERM during a journaled run, turned into a stop request: the first aborts
 * the returned signal, which the run reads between phases (never cutting one short); while it is
 * handled here the process is not killed by them. Every later one only says so again: SIGKILL is
 * the way to cut a run short, at the operator's own risk. `how` ends the first message: what the
 * run does before it stops. release() gives the signals their default handling back.
 */
export function stopOnSignals(ctx: CliContext, how: string): { signal: AbortSignal; release: () => void } {
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!stop.signal.aborted) ctx.stderr.write(`dbfleet: ${sig}: stopping ${how}\n`);
    else ctx.stderr.write(`dbfleet: ${sig}: already stopping; the current phase is not cut short (it is not safe to), wait for it\n`);
    ctx.logger.warn({ signal: sig }, 'stop requested by signal');
    stop.abort(new Error(`stopped by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
