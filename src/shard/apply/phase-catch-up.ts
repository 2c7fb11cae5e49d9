import { StateError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import { attachAndCatchUp } from '../seed/attach-replica.js';
import { addressOf, adminEndpoint, targetName, targetSpec, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import { seedMarker } from './phase-seed.js';
import type { ApplyMove } from './apply-moves.js';
import { progressLine } from './catch-up-progress.js';

/**
 * Catch up: each new copy becomes a read-only replica of the shard's current master from its
 * seed's GTID position, and the phase waits until it has applied everything the master had when
 * the wait began, reporting seconds and transactions behind as it goes. A copy already attached
 * to this master (a resumed run) keeps its position.
 */
export function catchUpPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  return {
    name: `${move.shard}/catch-up`,
    describe: () => `make ${move.targets.map((t) => t.host.name).join(', ')} replicas of the current master ${move.master.id} (${move.master.host}:${move.master.port}) from the seed's position; wait until caught up`,
    run: async (state) => {
      const seeds = (state[`${move.shard}:seed`] as Record<string, string> | undefined) ?? {};
      for (const t of move.targets) {
        const ip = addressOf(state, move, t);
        const startGtid = seeds[String(t.serverId)];
        if (startGtid === undefined) throw new StateError('NO_SEED_POSITION', `${targetName(move, t, ip)} has no seed position in the journal`, { next: 'the seed phase must run first: apply --resume' });
        const name = targetName(move, t, ip);
        // the seed is in the journal: the copy is no partial seed any more
        await deps.host(t.host).remove(seedMarker(targetSpec(move, t, ip, s)));
        let first: number | undefined;
        const { caughtUpTo } = await attachAndCatchUp(deps.connect, {
          target: adminEndpoint(s, ip, t.port),
          master: { host: move.master.host, port: move.master.port },
          repl: s.repl,
          startGtid,
          catchUpTimeoutMs: s.section.catch_up_timeout_ms,
          onProgress: (p) => {
            deps.progress(name, progressLine(name, p.secondsBehind, p.behind, (first ??= p.behind ?? undefined)));
          },
        });
        deps.progress(name, progressLine(name, 0, 0, first, true));
        deps.logger.info({ shard: move.shard, target: name, gtid: caughtUpTo }, 'caught up with the master');
      }
    },
    verify: async (state) => {
      for (const t of move.targets) {
        const ip = addressOf(state, move, t);
        const a = await deps.connect(adminEndpoint(s, ip, t.port), { connectTimeoutMs: 2_000, queryTimeoutMs: 10_000 });
        try {
          const st = await a.replicaStatus();
          if (!st || st.sourceHost !== move.master.host || st.ioRunning !== 'yes' || !st.sqlRunning) {
            throw new StateError('CATCH_UP_NOT_REPLICATING', `${targetName(move, t, ip)} is not replicating from ${move.master.host} after catch-up`);
          }
        } finally {
          await a.close().catch(() => undefined);
        }
      }
    },
  };
}
