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
/** What a hook may see of the environment: a PATH and the facts of the change, nothing else. */
const HOOK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export async function runHook(host: Host, name: string, spec: HookSpec, env: Record<string, string>, logger: Logger, secrets: readonly string[] = []): Promise<HookOutcome> {
  const started = performance.now();
  try {
    // Not the checker's environment: it holds password_env secrets.
    const r = await host.run(spec.command, spec.args, { timeoutMs: spec.timeout_ms, env: { PATH: HOOK_PATH, ...env }, inheritEnv: false });
    const outcome: HookOutcome = {
      hook: name,
      ok: r.exitCode === 0,
      exitCode: r.exitCode,
      durationMs: Math.round(performance.now() - started),
      output: scrub(`${r.stdout}${r.stderr}`.trim().slice(-2000), secrets),
    };
    if (outcome.ok) logger.info({ ...outcome }, 'hook ran');
    else logger.error({ ...outcome }, 'hook failed (non-zero exit); the failover went on');
    return outcome;
  } catch (e) {
    const outcome: HookOutcome = { hook: name, ok: false, exitCode: null, durationMs: Math.round(performance.now() - started), output: '', error: scrub(errorMessage(e), secrets) };
    logger.error({ ...outcome }, 'hook failed (timeout or could not start); the failover went on');
    return outcome;
  }
}
