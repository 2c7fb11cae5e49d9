import { readdirSync, readFileSync } from 'node:fs';

/** The state letter of each thread of a process ('R', 'S', 'T' ...), from /proc/PID/task/TID/stat. */
function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // "tid (comm) S ...": the state follows the last ')' (comm may hold spaces or parentheses)
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  });
}

/**
 * SIGSTOP, then wait until every thread of the process has stopped. kill() only queues the
 * signal: a mysqld thread already running on the other core could still answer a query sent right
 * after it (seen once: a "hung" 9.7 server answered SELECT @@read_only).
 */
export async function stopProcess(pid: number, boundMs = 5_000): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const deadline = Date.now() + boundMs;
  while (!threadStates(pid).every((s) => s === 'T' || s === 't')) {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop within ${boundMs} ms of SIGSTOP`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
