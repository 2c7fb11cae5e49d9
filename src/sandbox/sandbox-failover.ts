import { resolve } from 'node:path';
import { SafetyRefusal, UsageError } from '../core/errors.js';
import { stateInstanceSpec, waitReplicating, withAdmin } from './sandbox-instance.js';
import type { SandboxDeps } from './sandbox-deps.js';
import { readPasswords } from './sandbox-secrets.js';
import { requireState, writeState, type SandboxInstanceState } from './sandbox-state.js';

export interface FailoverOptions {
  dir: string;
  cluster: string;
  /** The reader to promote; the first healthy reader by default. */
  candidate?: string | undefined;
  /** Extra time the candidate spends restarting (Aurora's restart takes seconds; 0 here by default). */
  restartMs?: number;
  /** How long the old writer stays down after the promotion before it returns as a reader. */
  oldWriterReturnAfterMs?: number;
}

export interface FailoverStage {
  stage: string;
  at: string;
  t_ms: number;
  detail?: string;
}

export interface FailoverReport {
  cluster: string;
  old_writer: string;
  new_writer: string;
  timeline: FailoverStage[];
}

/**
 * Simulates an Aurora failover on real processes, in the order the seed's tables show: the
 * writer stops taking writes (clients get the read-only error, as on Aurora), the candidate has
 * applied everything (Aurora shares storage, so nothing is lost), the writer goes down, the
 * candidate restarts and comes back as the writer, the other readers follow it, and the old
 * writer returns as a reader.
 */
export async function sandboxFailover(deps: SandboxDeps, options: FailoverOptions): Promise<FailoverReport> {
  const state = await requireState(resolve(options.dir));
  const cluster = state.clusters.find((c) => c.name === options.cluster);
  if (!cluster) {
    throw new UsageError(`no cluster named ${options.cluster} in this sandbox; it has ${state.clusters.map((c) => c.name).join(', ')}`);
  }
  const writer = cluster.instances.find((i) => i.role === 'writer');
  const readers = cluster.instances.filter((i) => i.role === 'reader');
  if (!writer) throw new SafetyRefusal('NO_WRITER', `cluster ${cluster.name} has no writer in the sandbox state`);
  const candidate = options.candidate ? readers.find((r) => r.id === options.candidate) : readers[0];
  if (!candidate) {
    throw new UsageError(
      options.candidate
        ? `${options.candidate} is not a reader of ${cluster.name}; readers: ${readers.map((r) => r.id).join(', ') || 'none'}`
        : `cluster ${cluster.name} has no reader to promote`,
    );
  }
  const { dbfleet, repl } = await readPasswords(deps.host, state.dir);
  const log = deps.logger.child({ sandbox: state.dir, cluster: cluster.name, failover: `${writer.id} -> ${candidate.id}` });
  const t0 = deps.clock.monotonic();
  const timeline: FailoverStage[] = [];
  const stage = (name: string, detail?: string): void => {
    const entry: FailoverStage = { stage: name, at: new Date(deps.clock.now()).toISOString(), t_ms: Math.round(deps.clock.monotonic() - t0), ...(detail ? { detail } : {}) };
    timeline.push(entry);
    log.info(entry, `failover stage: ${name}`);
  };
  const spec = (i: SandboxInstanceState): ReturnType<typeof stateInstanceSpec> => stateInstanceSpec(state, i, deps.runAsRoot);

  // Precheck: the candidate replicates from the writer; refuse before changing anything.
  await withAdmin(deps, candidate, dbfleet, async (admin) => {
    const s = await admin.replicaStatus();
    if (!s || s.sourceHost !== writer.host || s.sqlRunning !== true) {
      throw new SafetyRefusal('CANDIDATE_NOT_REPLICATING', `${candidate.id} is not replicating from ${writer.id}; refusing to promote it`);
    }
  });
  stage('start', `writer ${writer.id}, candidate ${candidate.id}`);

  const finalGtid = await withAdmin(deps, writer, dbfleet, async (admin) => {
    await admin.setReadOnly(true);
    return (await admin.binlogPosition()).gtidSet ?? '';
  });
  stage('writer-read-only', `writes now fail with the read-only error; final GTID ${finalGtid || '(none)'}`);

  await Promise.all(readers.map((r) => withAdmin(deps, r, dbfleet, (admin) => admin.waitForGtid(finalGtid, 30_000))));
  stage('readers-caught-up');

  await deps.mysqld.kill(spec(writer));
  writer.pid = null;
  stage('writer-down');

  await deps.mysqld.stop(spec(candidate), { graceMs: 10_000 });
  stage('candidate-restarting');
  if (options.restartMs) await deps.clock.sleep(options.restartMs);
  candidate.role = 'writer';
  writer.role = 'reader';
  await deps.mysqld.writeConfig(spec(candidate));
  candidate.pid = (await deps.mysqld.start(spec(candidate))).pid;
  await withAdmin(deps, candidate, dbfleet, async (admin) => {
    await admin.stopReplica();
    await admin.resetReplicaAll();
  });
  stage('candidate-writer', `${candidate.id} accepts writes`);
  await writeState(deps.host, state);

  await Promise.all(
    readers
      .filter((r) => r !== candidate)
      .map((r) =>
        withAdmin(deps, r, dbfleet, async (admin) => {
          await admin.stopReplica();
          await admin.changeSource({ kind: 'gtid', host: candidate.host, port: candidate.port, user: 'repl', password: repl });
          await admin.startReplica();
          await waitReplicating(deps, admin, r.id);
        }),
      ),
  );
  stage('readers-follow');

  if (options.oldWriterReturnAfterMs) await deps.clock.sleep(options.oldWriterReturnAfterMs);
  await deps.mysqld.writeConfig(spec(writer));
  writer.pid = (await deps.mysqld.start(spec(writer))).pid;
  await withAdmin(deps, writer, dbfleet, async (admin) => {
    // It holds exactly the transactions the candidate had when it was promoted: start from there.
    await admin.changeSourceFromOwnBinlog({ host: candidate.host, port: candidate.port, user: 'repl', password: repl });
    await admin.startReplica();
    await waitReplicating(deps, admin, writer.id);
  });
  stage('old-writer-returns', `${writer.id} replicates from ${candidate.id}`);
  await writeState(deps.host, state);
  return { cluster: cluster.name, old_writer: writer.id, new_writer: candidate.id, timeline };
}
