import type { Phase } from '../core/phases/phase-runner.js';
import type { MigrateEnv, WriterConnections } from './migrate-env.js';
import type { MigrateState, WithSnapshot } from './migrate-state.js';
import type { Runbook } from './runbook.js';
import { snapshotPhase } from './steps/step-0-snapshot.js';
import { lowerTtlPhase } from './steps/step-1-lower-ttl.js';
import { replicaRecordPhase } from './steps/step-2-replica-record.js';
import { freezeWritesPhase } from './steps/step-3-freeze-writes.js';
import { thawOnNewWriterPhase } from './steps/step-4-thaw-on-new-writer.js';
import { stopReplicationPhase } from './steps/step-5-stop-replication.js';
import { recordPositionPhase } from './steps/step-6-record-position.js';
import { writerRecordPhase } from './steps/step-7-writer-record.js';
import { restoreTtlPhase } from './steps/step-8-restore-ttl.js';
import { oldWriterFollowsPhase } from './steps/step-9-old-writer-follows.js';
import { stepContext, type CutoverOptions } from './steps/step-context.js';

/**
 * The runbook's steps as journaled phases, one file each under steps/ (the seed's nine steps, plus
 * phase 0 that journals the records before them). Every `run` reads the world before it changes
 * it, so running a step again after a crash in its middle finishes it instead of doing it twice.
 * The phase names are the journal's: existing journals resume by them.
 */
export function cutoverPhases(rb: Runbook, snapshot: WithSnapshot['snapshot'], env: MigrateEnv, conns: WriterConnections, opts: CutoverOptions): Phase<MigrateState>[] {
  const c = stepContext(rb, snapshot, env, conns, opts);
  const phases = [
    snapshotPhase(c),
    lowerTtlPhase(c),
    replicaRecordPhase(c),
    freezeWritesPhase(c),
    thawOnNewWriterPhase(c),
    stopReplicationPhase(c),
    recordPositionPhase(c),
    writerRecordPhase(c),
    restoreTtlPhase(c),
    oldWriterFollowsPhase(c),
  ];
  return phases.map((p) => undoOnFreshConnections(p, conns, env));
}

/**
 * A failed phase's undo runs on fresh admin connections: the failure may have been the connection
 * itself (its thread killed, a statement timed out, the network lost), and a session that gave up
 * on a statement is closed for good. Reusing it would fail the undo and leave, after step 3, the
 * old writer read-only with its write users renamed.
 */
function undoOnFreshConnections(p: Phase<MigrateState>, conns: WriterConnections, env: MigrateEnv): Phase<MigrateState> {
  const undo = p.undo;
  if (!undo) return p;
  return {
    ...p,
    undo: async (s) => {
      conns.discardAll();
      env.logger.info({ phase: p.name }, `phase ${p.name}: undo on fresh connections`);
      await undo(s);
    },
  };
}
