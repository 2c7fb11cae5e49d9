const WIDTH = 24;

/**
 * One progress line of catch-up: a bar of the backlog worked off since the wait began, and the
 * seconds and transactions behind. Pure (the CLI decides how to draw it).
 */
export function progressLine(target: string, secondsBehind: number | null, behind: number | null, firstBehind: number | undefined, done = false): string {
  const fraction = done ? 1 : behind === null || firstBehind === undefined || firstBehind <= 0 ? 0 : Math.min(1, Math.max(0, 1 - behind / firstBehind));
  const filled = Math.round(fraction * WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  if (done) return `catch-up ${target} ${bar} caught up`;
  const secs = secondsBehind === null ? '? s' : `${secondsBehind} s`;
  const trx = behind === null ? '' : `, ${behind} transactions`;
  return `catch-up ${target} ${bar} ${Math.round(fraction * 100)} % (${secs}${trx} behind)`;
}
