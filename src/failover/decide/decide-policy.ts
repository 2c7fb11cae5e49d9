import type { CheckerSection } from '../../core/config-schema.js';

/** The knobs the decision core reads; camelCase mirror of the checker config section. */
export interface DecidePolicy {
  /** Consecutive failed probes before an up instance is down (its reader weight goes to 0). */
  failAfter: number;
  /** Consecutive good probes before a down or joining instance is up (reader weight restored). */
  recoverAfter: number;
  /** The writer's weight in the reader record while no reader serves (normally 0). */
  fallbackWeight: number;
  /** Weight of a healthy reader in the reader record. */
  readerWeight: number;
  /** A second writer flip of one cluster within this window is held (anti-flapping). */
  writerFlipMinIntervalMs: number;
  /**
   * Aurora: how long a writer that the other instances' replica_host_status does not confirm is
   * held before it is taken anyway. Stale replica_host_status must not keep writes down forever:
   * the candidate itself says it is writable and nothing else is.
   */
  unconfirmedWriterMaxHoldMs: number;
}

/** Not in the config schema yet; five seconds is a few Aurora status refreshes. */
export const DEFAULT_UNCONFIRMED_WRITER_MAX_HOLD_MS = 5000;

export function decidePolicyFrom(
  c: Pick<CheckerSection, 'fail_after' | 'recover_after' | 'fallback_weight' | 'reader_weight' | 'writer_flip_min_interval_ms'>,
  unconfirmedWriterMaxHoldMs = DEFAULT_UNCONFIRMED_WRITER_MAX_HOLD_MS,
): DecidePolicy {
  return {
    failAfter: c.fail_after,
    recoverAfter: c.recover_after,
    fallbackWeight: c.fallback_weight,
    readerWeight: c.reader_weight,
    writerFlipMinIntervalMs: c.writer_flip_min_interval_ms,
    unconfirmedWriterMaxHoldMs,
  };
}
