import type { ChangeSet } from '../../dns/change-set.js';
import type { ClusterMemory } from './cluster-input.js';
import type { ClusterSituation, ReaderSituation } from './cluster-situation.js';

export type AlertSeverity = 'info' | 'warning' | 'error' | 'critical';

/**
 * A level, not an event: it is raised on every tick while its condition holds, so the service
 * de-duplicates by (cluster, code) and notices when it clears.
 */
export interface Alert {
  severity: AlertSeverity;
  code: string;
  message: string;
}

export interface Decision {
  cluster: string;
  situation: ClusterSituation;
  /** Absent when the reader pool was not considered (no change is made to the cluster at all). */
  readers?: ReaderSituation | undefined;
  /**
   * replace-writer first, then the reader record's weights. Every operation expects what the
   * records held when read, so the store's compare-and-swap refuses it after a concurrent edit.
   * Empty on a no-op tick.
   */
  changeSet: ChangeSet;
  alerts: Alert[];
  /** Human-readable evidence for the log and `checker once`. */
  reasons: string[];
  /** Set while a writer change is held back: until when, and why. */
  hold?: { until: number; reason: string } | undefined;
  /** Keep and pass back on the next tick. */
  memory: ClusterMemory;
}
