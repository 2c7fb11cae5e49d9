/** One attempt of the downtime meter: a write to the writer name or a read from the reader name. */
export interface Attempt {
  kind: 'write' | 'read';
  /** Wall-clock ms when the attempt started and ended. */
  start: number;
  end: number;
  ok: boolean;
  /** Where the name resolved to. */
  address?: string | undefined;
  error?: string | undefined;
}

export interface Window {
  kind: 'write' | 'read';
  /** Start of the first failed attempt. */
  start: number;
  /** End of the first successful attempt after it (or of the last attempt if none succeeded). */
  end: number;
  durationMs: number;
  failedAttempts: number;
  /** Distinct error messages seen in the window (the seed saw connection errors, then read-only errors). */
  errors: string[];
  /** True when the measurement ended inside the window. */
  open: boolean;
}

/**
 * Unavailability windows, as the seed measured them: a run of failed attempts, from the start of
 * the first failure to the moment an attempt succeeded again. Pure; attempts of one kind, in order.
 */
export function unavailabilityWindows(attempts: readonly Attempt[]): Window[] {
  const out: Window[] = [];
  let current: Window | undefined;
  for (const a of attempts) {
    if (!a.ok) {
      current ??= { kind: a.kind, start: a.start, end: a.end, durationMs: 0, failedAttempts: 0, errors: [], open: true };
      current.failedAttempts += 1;
      current.end = a.end;
      const err = a.error ?? 'failed';
      if (!current.errors.includes(err) && current.errors.length < 5) current.errors.push(err);
    } else if (current) {
      current.end = a.end;
      current.open = false;
      current.durationMs = current.end - current.start;
      out.push(current);
      current = undefined;
    }
  }
  if (current) {
    current.durationMs = current.end - current.start;
    out.push(current);
  }
  return out;
}
