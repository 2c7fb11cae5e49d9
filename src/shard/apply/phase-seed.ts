import { join } from 'node:path';
import { SafetyRefusal, StateError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import type { Host } from '../../host/host.js';
import { asSwitch } from '../../mysql/row-values.js';
import { mysqldPaths } from '../mysqld/mysqld-spec.js';
import { clearPartialCopy, rootClientFor, seedFromReplica } from '../seed/seed-from-replica.js';
import { addressOf, currentEndpoint, targetName, targetSpec, withAdmin, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';

/**
 * In the process directory from the start of a seed until catch-up begins: only a copy carrying it
 * may be cleared and made again. Catch-up removes it, after the seed's end is in the journal: a run
 * killed between a finished copy and that journal entry (an fsync, under load easily tens of ms)
 * left a seeded copy without it, which the resume then refused as data no seed had started.
 */
export const SEEDING_MARKER = '.dbfleet-seeding';

/** Where a new process's seed marker is. */
export function seedMarker(spec: Parameters<typeof mysqldPaths>[0]): string {
  return join(mysqldPaths(spec).dir, SEEDING_MARKER);
}

/** Refuses to copy from a replica whose replication is broken or far behind: the copy would be stale or wrong. */
async function checkSource(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Promise<void> {
  if (move.seedSource === move.master) return;
  await withAdmin(deps, currentEndpoint(s, move.seedSource), async (a) => {
    const st = await a.replicaStatus();
    if (!st || st.ioRunning !== 'yes' || !st.sqlRunning) {
      throw new SafetyRefusal('SEED_SOURCE_BROKEN', `the seed source ${move.seedSource.id} (${move.seedSource.host}) of ${move.shard} is not replicating (${st ? `io ${st.ioRunning}, sql ${st.sqlRunning ? 'running' : 'stopped'}${st.lastSqlError || st.lastIoError ? `: ${st.lastSqlError || st.lastIoError}` : ''}` : 'no replication configured'})`, {
        next: 'repair replication on that replica, then run apply again with --resume',
      });
    }
    if (st.secondsBehind !== null && st.secondsBehind > 60) {
      throw new SafetyRefusal('SEED_SOURCE_LAGGING', `the seed source ${move.seedSource.id} of ${move.shard} is ${st.secondsBehind} s behind its master`, { next: 'wait until it catches up, then resume' });
    }
  });
}

/**
 * Seed: copy the shard's data and accounts from a current replica into each new, empty mysqld,
 * keeping the GTID position the copy is consistent with (where catch-up starts): by CLONE where
 * both sides allow it (MySQL), else by logical dump; the journal says which ran and why. A copy a
 * crash cut short is cleared and made again; a process that already replicates is never re-seeded.
 */
export function seedPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  return {
    name: `${move.shard}/seed`,
    describe: () => `copy ${move.shard}'s databases and accounts from ${move.seedSource.id} (${move.seedSource.host}:${move.seedSource.port}) into ${move.targets.map((t) => t.host.name).join(', ')}, with their GTID position (${s.section.seed_method === 'dump' ? 'logical dump' : s.section.seed_method === 'clone' ? 'CLONE' : 'CLONE where both sides allow it, else a logical dump'})`,
    precheck: () => checkSource(move, deps, s),
    run: async (state) => {
      const positions: Record<string, string> = {};
      const methods: Record<string, string> = {};
      for (const t of move.targets) {
        const ip = addressOf(state, move, t);
        const spec = targetSpec(move, t, ip, s);
        const host = deps.host(t.host);
        const log = deps.logger.child({ shard: move.shard, target: targetName(move, t, ip) });
        const manager = deps.mysqld(t.host);
        const marker = seedMarker(spec);
        const ours = await host.exists(marker);
        if ((await manager.pid(spec)) === undefined) {
          // a clone shuts its recipient down to finish at the next start: a run killed then left it down
          log.warn('the new mysqld is not running (a seed a crash cut short?): starting it');
          // Only a copy a seed of ours started gets its root account restored (the clone replaced
          // it, as seedByClone does after its restart); any other server starts as it is, and the
          // checks below decide before anything in it changes.
          await manager.start(spec, { readyTimeoutMs: 600_000, ...(ours ? { restoreLocalRoot: true } : {}) });
        }
        const root = rootClientFor(host, spec);
        const d = await root.dialect();
        const replica = d.parseReplicaStatus(await root.query(d.replicaStatusQuery()));
        const previous = ((state[`${move.shard}:seed`] as Record<string, string> | undefined) ?? {})[String(t.serverId)];
        if (previous !== undefined && !ours && replica && replica.sourceHost === move.master.host && replica.sourcePort === move.master.port) {
          // seeded and attached before (a --redo-from that re-seeds only a copy removed by hand)
          log.info('already a replica of the current master from an earlier seed: kept');
          positions[String(t.serverId)] = previous;
          methods[String(t.serverId)] = ((state[`${move.shard}:seed_method`] as Record<string, string> | undefined) ?? {})[String(t.serverId)] ?? 'kept: a replica of the current master from an earlier seed';
          continue;
        }
        const ro = asSwitch((await root.query(d.readOnlyQuery()))[0]?.['ro'], 'read_only');
        const own = await root.gtid(d.gtidPositionQuery());
        const applied = await root.gtid(d.appliedGtidQuery());
        const replicating = replica !== null && (replica.ioRunning !== 'no' || replica.sqlRunning);
        const fresh = replica === null && ro && own === '' && applied === '';
        // a seed of ours that a crash cut short may have left anything but replication running
        // (a clone brings the donor's replication settings and GTIDs; a MySQL dump its GTID_PURGED)
        if (!fresh && !(ours && ro && !replicating)) {
          // a server that replicates, takes writes or ever did: never a partial seed, never dropped
          throw new StateError('SEED_OVER_LIVE_SERVER', `${targetName(move, t, ip)} is not a fresh copy (replication ${replica ? `configured${replicating ? ', running' : ''}` : 'none'}, read_only ${ro ? 1 : 0}, GTID position '${own}', applied '${applied}'); refusing to overwrite it`, {
            next: 'if it is a shard\'s live master or replica, leave it: use the journal that moved it (apply --resume); to copy again, stop it and remove its directory first',
          });
        }
        const existing = await root.userDatabases();
        if (existing.length > 0 && !ours) {
          throw new StateError('SEED_UNKNOWN_DATA', `${targetName(move, t, ip)} holds databases (${existing.join(', ')}) that no seed of dbfleet started; refusing to drop them`, {
            next: 'find out whose data it is; to copy again, stop that mysqld and remove its directory first',
          });
        }
        if (ours && (!fresh || existing.length > 0)) {
          log.warn({ databases: existing }, 'clearing a partial copy left by an interrupted seed');
          await clearPartialCopy(root);
        }
        await host.writeFile(marker, `seed started ${new Date().toISOString()}\n`, 0o640);
        const started = performance.now();
        // a dump and a 0600 defaults file a killed run left behind go now; one directory per shard,
        // as moves of a wave may seed onto one host side by side
        const workDir = join(t.host.base_dir, 'seed-work', move.shard);
        await host.remove(workDir);
        await removeOldLayoutLeftovers(host, join(t.host.base_dir, 'seed-work'));
        const seeded = await seedFromReplica({
          source: { host: move.seedSource.host, port: move.seedSource.port },
          target: { host, manager, spec },
          account: s.admin,
          workDir,
          connect: deps.connect,
          method: s.section.seed_method,
          timeoutMs: s.section.seed_timeout_ms,
        });
        log.info({ method: seeded.method, why: seeded.why, databases: seeded.databases, accounts: seeded.accounts.length, gtid: seeded.gtid, dump_bytes: seeded.dumpBytes, ms: Math.round(performance.now() - started) }, `seeded by ${seeded.method}`);
        // the marker stays until catch-up: a crash before the journal records this phase's end redoes the copy
        await host.writeFile(marker, `seeded by ${seeded.method} ${new Date().toISOString()}, position ${seeded.gtid}\n`, 0o640);
        positions[String(t.serverId)] = seeded.gtid;
        methods[String(t.serverId)] = `${seeded.method}: ${seeded.why}`;
      }
      // a test crash point: every copy seeded, the phase's end not yet journaled
      deps.failpoint?.(`${move.shard}:seeded`);
      return { [`${move.shard}:seed`]: positions, [`${move.shard}:seed_method`]: methods };
    },
  };
}

/** Dumps and 0600 defaults files a killed run of an earlier version left directly in seed-work/ (before one directory per shard). */
async function removeOldLayoutLeftovers(host: Host, seedWork: string): Promise<void> {
  if (!(await host.exists(seedWork))) return;
  await host.check('find', [seedWork, '-maxdepth', '1', '-type', 'f', '(', '-name', 'seed-*.sql', '-o', '-name', '.seed-*.cnf', ')', '-delete'], { timeoutMs: 30_000 });
}
