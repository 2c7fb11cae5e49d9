import { AbortedError, isDbfleetError } from '../core/errors.js';
import type { AwsCallContext } from './aws-call.js';
import { AwsVerifyError, translateAwsError } from './aws-errors.js';

/** How long a mutation's read-back may take before dbfleet calls it failed. */
export interface VerifyPolicy {
  timeoutMs: number;
  intervalMs: number;
}

export interface Verified<T> {
  value: T;
  polls: number;
  waitedMs: number;
}

/**
 * Reads a resource until `done` holds, at `intervalMs`, for at most `timeoutMs`: the proof that a
 * change AWS acknowledged really happened (an OK answer is not that proof; see the seed's
 * outages). Throws AwsVerifyError with the last observation when it never holds, or when the
 * resource cannot be read back at all.
 */
export async function verifyReadBack<T>(
  ctx: AwsCallContext,
  what: string,
  policy: VerifyPolicy,
  signal: AbortSignal | undefined,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  describe: (value: T) => string,
): Promise<Verified<T>> {
  const started = ctx.clock.monotonic();
  const maxPolls = Math.max(1, Math.ceil(policy.timeoutMs / Math.max(1, policy.intervalMs))) + 1;
  for (let polls = 1; ; polls++) {
    let value: T;
    try {
      value = await read();
    } catch (e) {
      if (e instanceof AbortedError) throw e;
      const cause = isDbfleetError(e) ? e : translateAwsError(e, what);
      throw new AwsVerifyError(`${what}: AWS accepted the change but it could not be read back (${cause.code}: ${cause.message})`, {
        cause,
        retryable: cause.retryable,
        details: { polls, causeCode: cause.code },
      });
    }
    const waitedMs = Math.round(ctx.clock.monotonic() - started);
    if (done(value)) return { value, polls, waitedMs };
    if (polls >= maxPolls || waitedMs >= policy.timeoutMs) {
      throw new AwsVerifyError(`${what}: AWS answered OK, but after ${waitedMs} ms and ${polls} reads the resource still shows ${describe(value)}`, {
        details: { polls, waitedMs, observed: describe(value) },
      });
    }
    try {
      await ctx.clock.sleep(policy.intervalMs, signal);
    } catch (e) {
      throw new AbortedError(`${what}: cancelled while verifying`, { cause: e });
    }
  }
}
