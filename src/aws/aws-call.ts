import { systemClock, type Clock } from '../core/clock.js';
import { withDeadline } from '../core/deadline.js';
import { AbortedError, type DbfleetError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { isThrottled, isTransient, translateAwsError } from './aws-errors.js';

/** How hard dbfleet tries one AWS call. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  maxAttempts: number;
  /** Backoff before the 2nd attempt; doubles each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Deadline of each attempt. */
  attemptTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  attemptTimeoutMs: 10_000,
});

/** What every AWS adapter needs besides its SDK client; injected so tests run without waiting. */
export interface AwsCallContext {
  clock: Clock;
  /** Uniform in [0, 1); jitter source. */
  random: () => number;
  logger: Logger;
  retry: RetryPolicy;
}

export function awsCallContext(overrides: Partial<Omit<AwsCallContext, 'retry'>> & { retry?: Partial<RetryPolicy> } = {}): AwsCallContext {
  return {
    clock: overrides.clock ?? systemClock,
    random: overrides.random ?? Math.random,
    logger: overrides.logger ?? silentLogger,
    retry: { ...DEFAULT_RETRY_POLICY, ...overrides.retry },
  };
}

/**
 * Backoff before attempt `attempt + 1` (attempt is 1-based): exponential with "equal jitter", so
 * a throttled caller always waits at least half the step and many callers spread out.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /**
   * True when sending the request twice does no harm (reads, "ensure" writes). Non-idempotent
   * calls (a failover) are retried only after throttling, which proves AWS did not process them;
   * after a 5xx or a timeout the first request may have taken effect.
   */
  idempotent: boolean;
}

/**
 * Runs one AWS call with a deadline per attempt and a bounded retry with backoff and jitter.
 * Every failure leaves as a typed dbfleet error (see aws-errors.ts) with the attempt count.
 */
export async function callAws<T>(ctx: AwsCallContext, what: string, options: CallOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { retry } = ctx;
  for (let attempt = 1; ; attempt++) {
    let error: DbfleetError;
    try {
      return await withDeadline(what, retry.attemptTimeoutMs, send, options.signal);
    } catch (e) {
      error = translateAwsError(e, what);
    }
    const retryHelps = isThrottled(error) || (options.idempotent && isTransient(error));
    if (!retryHelps || attempt >= retry.maxAttempts || options.signal?.aborted) {
      error.details.attempts = attempt;
      throw error;
    }
    const delay = backoffMs(attempt, retry, ctx.random);
    ctx.logger.warn({ call: what, attempt, code: error.code, delayMs: delay }, 'AWS call failed, retrying after backoff');
    try {
      await ctx.clock.sleep(delay, options.signal);
    } catch (e) {
      throw new AbortedError(`${what}: cancelled while backing off`, { cause: e, details: { attempts: attempt } });
    }
  }
}
