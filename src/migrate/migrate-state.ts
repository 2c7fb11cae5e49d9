import type { DnsSnapshot, RecordedPosition } from './runbook.js';

/** What the journal carries from step to step (and across a crash). */
export type MigrateState = {
  /** The records before step 1 and the replica record's entries after step 2 (phase 0). */
  snapshot?: {
    /** `host:port` of where writes were and where they go: a journal from another migration is refused. */
    switch: { from: string; to: string };
    dns: DnsSnapshot;
    readerEntriesAfter: { address: string; weight: number }[];
    /**
     * `user@host` of the write users frozen alone on the target before the switch (what a rollback
     * leaves on an Aurora old writer): the undo of step 3 leaves them so. Absent in older journals.
     */
    targetFrozen?: string[] | undefined;
  } | undefined;
  /** The old writer's binlog position once writes stopped (step 3); its GTID position too where the server has one. */
  fromFinal?: RecordedPosition | undefined;
  /** How step 3 showed that writes stopped: proven by the old writer's state, or by a still binlog (freeze-proof.ts). */
  fromFinalBy?: 'proof' | 'still-binlog' | undefined;
  /** How step 4 saw the new writer apply the final position (applied-wait.ts). */
  finalAppliedBy?: 'already' | 'gtid' | 'position' | undefined;
  /**
   * The old writer's position when replication stopped (step 5): the target has applied every
   * transaction up to it (a late one after step 3 reached the target by replication).
   */
  fromApplied?: RecordedPosition | undefined;
  /** The operator's acknowledgement (--accept-source-position): step 9 goes on from this position of the old writer. */
  acceptedSourcePosition?: { position: RecordedPosition; transactions: number; since: RecordedPosition } | undefined;
  /** The new writer's binlog position after replication stopped (step 6). */
  toPosition?: RecordedPosition | undefined;
  connectionsEnded?: number | undefined;
};

export type WithSnapshot = MigrateState & { snapshot: NonNullable<MigrateState['snapshot']> };
