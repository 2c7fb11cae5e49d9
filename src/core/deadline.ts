import { AbortedError, TimeoutError } from './errors.js';

/**
 * Runs `work` with a deadline: it gets a signal that aborts when the caller's signal aborts or
 * when `timeoutMs` passes, and the returned promise rejects with TimeoutError at the deadline
 * even if `work` ignores its signal.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
  parent?: AbortSignal,
): Promise<T> {
  if (parent?.aborted) throw new AbortedError(`${what}: cancelled before it started`, { cause: parent.reason });
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onParentAbort = (): void => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onParentAbort, { once: true });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(`${what}: no answer within ${timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  const cancelled = new Promise<never>((_, reject) => {
    controller.signal.addEventListener(
      'abort',
      () => {
        if (parent?.aborted) reject(new AbortedError(`${what}: cancelled`, { cause: parent.reason }));
      },
      { once: true },
    );
  });
  try {
    return await Promise.race([work(controller.signal), deadline, cancelled]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParentAbort);
  }
}
