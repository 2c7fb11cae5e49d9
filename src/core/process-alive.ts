/**
 * True when a process with this PID exists on this machine (signal 0: nothing is sent). EPERM
 * means it exists but belongs to another user. Used to tell a lock or lease of a dead run from
 * a live one.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
