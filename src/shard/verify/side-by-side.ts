/**
 * Runs one step on both copies at once. When one fails, the other is cancelled (its signal
 * aborts: the query under way is given up on) and waited for, so that nothing of it still runs
 * when the caller starts replication again (a START ... UNTIL sent after that START would stop
 * the reference at the position; a checksum loop would go on reading a stopped reference). The
 * first failure is thrown, not the cancellation it caused.
 */
export async function sideBySide<T>(steps: readonly ((signal: AbortSignal) => Promise<T>)[]): Promise<T[]> {
  const controller = new AbortController();
  let first: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    steps.map(async (step) => {
      try {
        return await step(controller.signal);
      } catch (e) {
        first ??= { error: e };
        controller.abort(e);
        throw e;
      }
    }),
  );
  if (first) throw first.error;
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}
