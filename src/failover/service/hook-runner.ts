import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Host } from '../../host/host.js';

export interface HookSpec {
  command: string;
  args: readonly string[];
  timeout_ms: number;
}

export interface HookOutcome {
  hook: string;
  ok: boolean;
  exitCode: number | null;
  durationMs: number;
  /** The tail of stdout and stderr, for the log and the audit. */
  output: string;
  error?: string;
}

/**
 * Runs an operator's hook (e.g. notify, or drain a proxy) around a writer change. The failover
 * itself never waits longer than the hook's timeout and never depends on its success: a hook
 * that fails or times out is logged at error level and returned as failed, never ignored.
 * The change's facts go to the hook as environment variables, not as a shell string.
 */
export async function runHook(host: Host, name: string, spec: HookSpec, env: Record<string, string>, logger: Logger): Promise<HookOutcome> {
  const started = performance.now();
  try {
    const r = await host.run(spec.command, spec.args, { timeoutMs: spec.timeout_ms, env });
    const outcome: HookOutcome = {
      hook: name,
      ok: r.exitCode === 0,
      exitCode: r.exitCode,
      durationMs: Math.round(performance.now() - started),
      output: `${r.stdout}${r.stderr}`.trim().slice(-2000),
    };
    if (outcome.ok) logger.info({ ...outcome }, 'hook ran');
    else logger.error({ ...outcome }, 'hook failed (non-zero exit); the failover went on');
    return outcome;
  } catch (e) {
    const outcome: HookOutcome = { hook: name, ok: false, exitCode: null, durationMs: Math.round(performance.now() - started), output: '', error: errorMessage(e) };
    logger.error({ ...outcome }, 'hook failed (timeout or could not start); the failover went on');
    return outcome;
  }
}
