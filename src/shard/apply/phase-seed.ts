import { join } from 'node:path';
import { SafetyRefusal, StateError } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import type { Host } from '../../host/host.js';
import { mysqldPaths } from '../mysqld/mysqld-spec.js';
import { copyAccounts } from '../seed/copy-accounts.js';
import { seedFromReplica } from '../seed/seed-from-replica.js';
import { addressOf, adminEndpoint, currentEndpoint, targetName, targetSpec, withAdmin, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { ApplyMove } from './apply-moves.js';

const SYSTEM = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
/** In the process directory while a seed loads: only a copy carrying it may be dropped and made again. */
const SEEDING = '.dbfleet-seeding';

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
 * keeping the GTID position the copy is consistent with (where catch-up starts). A copy a crash
 * cut short is dropped and made again; a process that already replicates is never re-seeded.
 */
export function seedPhase(move: ApplyMove, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  return {
    name: `${move.shard}/seed`,
    describe: () => `copy ${move.shard}'s databases and accounts from ${move.seedSource.id} (${move.seedSource.host}:${move.seedSource.port}) into ${move.targets.map((t) => t.host.name).join(', ')}, with the dump's GTID position`,
    precheck: () => checkSource(move, deps, s),
    run: async (state) => {
      const positions: Record<string, string> = {};
      for (const t of move.targets) {
        const ip = addressOf(state, move, t);
        const spec = targetSpec(move, t, ip, s);
        const socket = mysqldPaths(spec).socket;
        const host = deps.host(t.host);
        const log = deps.logger.child({ shard: move.shard, target: targetName(move, t, ip) });
        const rootSql = async (sql: string): Promise<string> => (await host.check('mariadb', ['--no-defaults', '-S', socket, '-uroot', '-N', '-B'], { timeoutMs: 600_000, input: sql })).stdout;
        const status = await rootSql('SHOW SLAVE STATUS\\G');
        const configured = status.trim() !== '';
        const previous = ((state[`${move.shard}:seed`] as Record<string, string> | undefined) ?? {})[String(t.serverId)];
        // (a configured copy has the accounts already, so the admin user can ask it)
        const source = configured && previous !== undefined ? await withAdmin(deps, adminEndpoint(s, ip, t.port), (a) => a.replicaStatus()) : null;
        if (previous !== undefined && source && source.sourceHost === move.master.host && source.sourcePort === move.master.port) {
          // seeded and attached before (a --redo-from that re-seeds only a copy removed by hand)
          log.info('already a replica of the current master from an earlier seed: kept');
          positions[String(t.serverId)] = previous;
          continue;
        }
        const [ro, binlogPos, slavePos] = (await rootSql('SELECT @@read_only, @@gtid_binlog_pos, @@gtid_slave_pos')).replace(/\n$/, '').split('\t');
        if (configured || ro !== '1' || (binlogPos ?? '') !== '' || (slavePos ?? '') !== '') {
          // a server that replicates, takes writes or ever did: never a partial seed, never dropped
          throw new StateError('SEED_OVER_LIVE_SERVER', `${targetName(move, t, ip)} is not a fresh copy (replication ${configured ? 'configured' : 'none'}, read_only ${ro}, gtid_binlog_pos '${binlogPos}', gtid_slave_pos '${slavePos}'); refusing to overwrite it`, {
            next: 'if it is a shard\'s live master or replica, leave it: use the journal that moved it (apply --resume); to copy again, stop it and remove its directory first',
          });
        }
        const marker = join(mysqldPaths(spec).dir, SEEDING);
        const existing = (await rootSql('SHOW DATABASES')).split('\n').map((d) => d.trim()).filter((d) => d !== '' && !SYSTEM.has(d));
        if (existing.length > 0) {
          if (!(await host.exists(marker))) {
            throw new StateError('SEED_UNKNOWN_DATA', `${targetName(move, t, ip)} holds databases (${existing.join(', ')}) that no seed of dbfleet started; refusing to drop them`, {
              next: 'find out whose data it is; to copy again, stop that mysqld and remove its directory first',
            });
          }
          log.warn({ databases: existing }, 'dropping a partial copy left by an interrupted seed');
          await rootSql(`SET SESSION sql_log_bin = 0;\n${existing.map((d) => `DROP DATABASE \`${d.replace(/`/g, '``')}\`;`).join('\n')}\n`);
        }
        await host.writeFile(marker, `${new Date().toISOString()}\n`, 0o640);
        const accounts = await withAdmin(deps, currentEndpoint(s, move.seedSource), (a) => copyAccounts(a, host, socket));
        const started = performance.now();
        // a dump and a 0600 defaults file a killed run left behind go now; one directory per shard,
        // as moves of a wave may seed onto one host side by side
        const workDir = join(t.host.base_dir, 'seed-work', move.shard);
        await host.remove(workDir);
        await removeOldLayoutLeftovers(host, join(t.host.base_dir, 'seed-work'));
        const seeded = await seedFromReplica(host, {
          source: { host: move.seedSource.host, port: move.seedSource.port },
          targetSocket: socket,
          account: s.admin,
          workDir,
          timeoutMs: s.section.seed_timeout_ms,
        });
        log.info({ databases: seeded.databases, accounts: accounts.length, gtid: seeded.gtid, dump_bytes: seeded.dumpBytes, ms: Math.round(performance.now() - started) }, 'seeded');
        await host.remove(marker);
        positions[String(t.serverId)] = seeded.gtid;
      }
      return { [`${move.shard}:seed`]: positions };
    },
  };
}

/** Dumps and 0600 defaults files a killed run of an earlier version left directly in seed-work/ (before one directory per shard). */
async function removeOldLayoutLeftovers(host: Host, seedWork: string): Promise<void> {
  if (!(await host.exists(seedWork))) return;
  await host.check('find', [seedWork, '-maxdepth', '1', '-type', 'f', '(', '-name', 'seed-*.sql', '-o', '-name', '.seed-*.cnf', ')', '-delete'], { timeoutMs: 30_000 });
}
