import { SafetyRefusal } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import type { MysqlAdmin } from '../../mysql/admin.js';
import { compareReplicas } from '../verify/checksum-compare.js';
import { ADMIN_TIMEOUTS, addressOf, adminEndpoint, currentEndpoint, targetName, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';

/**
 * Verify: every new copy's tables have the same checksums as a current replica's at the same
 * master GTID position (the master keeps taking writes): the current replica is read in a
 * consistent snapshot and keeps replicating, the new copy is run up to exactly the snapshot's
 * position (checksum-compare.ts). A table that differs there is compared again with both stopped
 * at one position; a difference that remains refuses the switchover and names the tables.
 */
export function verifyPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  const reference = move.verifyReference;
  return {
    name: `${move.shard}/verify`,
    describe: () => `compare table checksums of ${move.targets.map((t) => t.host.name).join(', ')} with ${reference.id} (${reference.host}) at one master position`,
    run: async (state) => {
      const timeout = { connectTimeoutMs: 2_000, queryTimeoutMs: s.section.verify_timeout_ms };
      const opened: MysqlAdmin[] = [];
      const open = async (e: Parameters<ApplyDeps['connect']>[0], t = ADMIN_TIMEOUTS): Promise<MysqlAdmin> => {
        const a = await deps.connect(e, t);
        opened.push(a);
        return a;
      };
      try {
        const master = await open(currentEndpoint(s, move.master));
        const ref = await open(currentEndpoint(s, reference), timeout);
        const results: Record<string, { position: string; tables: number }> = {};
        for (const t of move.targets) {
          const ip = addressOf(state, move, t);
          const target = await open(adminEndpoint(s, ip, t.port), timeout);
          const report = await compareReplicas(master, ref, target, {
            timeoutMs: s.section.verify_timeout_ms,
            atPosition: () => deps.failpoint?.(`${move.shard}:verify-at-position`),
            onReferenceStopped: (why) => deps.logger.warn({ shard: move.shard, reference: reference.id }, `${why}: ${reference.id} stops while those checksums run, serving reads as of that position`),
            // a broken session must not leave replication stopped: restart it on a fresh one
            reconnect: (x) => open(adminEndpoint(s, x.endpoint.host, x.endpoint.port)),
          });
          const differ = report.tables.filter((x) => !x.equal);
          if (differ.length > 0) {
            throw new SafetyRefusal('CHECKSUM_MISMATCH', `${targetName(move, t, ip)} differs from ${reference.id} at ${report.rechecked?.position ?? report.position} (both stopped there) in ${differ.map((d) => `${d.table} (${d.b ?? 'missing'} vs ${d.a ?? 'missing'})`).join(', ')}`, {
              next: `find the cause (a write on the new copy, a bad seed, drift of ${reference.id}); to copy again: stop that mysqld, remove its directory, then apply --resume --redo-from ${move.shard}/provision`,
              details: { differ },
            });
          }
          deps.logger.info({ shard: move.shard, target: targetName(move, t, ip), position: report.position, mode: report.mode, tables: report.tables.length }, 'checksums equal');
          results[String(t.serverId)] = { position: report.position, tables: report.tables.length };
        }
        return { [`${move.shard}:verified`]: results };
      } finally {
        await Promise.all(opened.map((a) => a.close().catch(() => undefined)));
      }
    },
  };
}
