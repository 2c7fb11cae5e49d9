import { RemoteError, SafetyRefusal } from '../core/errors.js';
import type { MysqlAdmin } from '../mysql/admin.js';
import type { Phase } from '../core/phases/phase-runner.js';
import { readerChanges, ttlChanges, type Runbook, type RunbookStep, type StepPhase, type RecordedPosition, type DnsSnapshot } from './runbook.js';
import { applyPending, verifyApplied } from './dns-steps.js';
import { withDns, type MigrateEnv, type WriterConnections } from './migrate-env.js';
import { beforeRenameOnReadOnly, fullReadOnlyQuery, oldWriterActions, READ_ONLY_ON, type OldWriterObserved } from './old-writer-plan.js';
import { applied, comparePositions, threadsRunning, threadsStopped, toRecorded, waitBinlogStill, waitRunning } from './replication-checks.js';
import { describeInstance, isAurora, type Side } from './sides.js';
import { accountState, endConnections, renameAccount } from './write-user-rename.js';

/** What the journal carries from step to step (and across a crash). */
export type MigrateState = {
  /** The records before step 1 and the replica record's entries after step 2 (phase 0). */
  snapshot?: {
    /** `host:port` of where writes were and where they go: a journal from another migration is refused. */
    switch: { from: string; to: string };
    dns: DnsSnapshot;
    readerEntriesAfter: { address: string; weight: number }[];
  } | undefined;
  /** The old writer's binlog position once writes stopped (step 3). */
  fromFinal?: RecordedPosition | undefined;
  /** The new writer's binlog position after replication stopped (step 6). */
  toPosition?: RecordedPosition | undefined;
  connectionsEnded?: number | undefined;
};

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new RemoteError('MIGRATE_STATE_MISSING', `the journal does not hold ${what}`, { next: 'the journal is not from this runbook; inspect it before going on' });
  return v;
}

/** Refuses unless the old writer's binlog is still at the final position: a write after the freeze exists only there. */
export async function expectStillAtFinal(a: MysqlAdmin, final: RecordedPosition, name: string, before: string): Promise<void> {
  const now = await a.binlogPosition();
  if (comparePositions(now, final) === 0) return;
  throw new SafetyRefusal('MIGRATE_WRITES_AFTER_FREEZE', `${name} wrote after writes were stopped (${final.file}:${final.position} -> ${now.file}:${now.position}); refusing to ${before}: those transactions exist only on ${name}`, {
    next: `find the account that still writes there (migrate preflight lists writers the rename does not stop); apply its transactions after ${final.file}:${final.position} to the new writer by hand (mysqlbinlog), then resume`,
  });
}

/** Lowers MySQL 8's super_read_only (keeping read_only) so the admin's RENAME USER is accepted; nothing elsewhere. */
export async function prepareRename(a: MysqlAdmin, side: Side): Promise<void> {
  if (isAurora(side.engine)) return;
  for (const q of beforeRenameOnReadOnly(a.version.flavor)) await a.session.query(q);
}

/**
 * The runbook's steps as journaled phases. Every `run` reads the world before it changes it, so
 * running a step again after a crash in its middle finishes it instead of doing it twice.
 */
export function cutoverPhases(rb: Runbook, snapshot: NonNullable<MigrateState['snapshot']>, env: MigrateEnv, conns: WriterConnections): Phase<MigrateState>[] {
  const { from, to } = rb;
  const cfg = env.config;
  const users = cfg.write_users;
  const zone = cfg.dns.zone;
  const log = env.logger;
  const fromName = describeInstance(from.writer);
  const toName = describeInstance(to.writer);
  const wait = cfg.cutover.replication_wait_ms;
  const step = (p: StepPhase): RunbookStep => rb.steps.find((s) => s.phase === p) as RunbookStep;
  const title = (p: StepPhase) => (): string => step(p).title;
  const dns = (ops: Parameters<typeof applyPending>[2], why: string) => withDns(env, (s) => applyPending(s, zone, ops, `${rb.direction}: ${why}`, env.actor, log));
  const dnsVerify = (ops: Parameters<typeof verifyApplied>[2]) => withDns(env, (s) => verifyApplied(s, zone, ops));
  const lower = step('1-lower-ttl').dnsChanges.flat();
  const readerOps = step('2-replica-record').dnsChanges.flat();
  const writerOps = step('7-writer-record').dnsChanges.flat();
  const restore = step('8-restore-ttl').dnsChanges.flat();
  const maxOldTtl = Math.max(snapshot.dns.writer.ttl, snapshot.dns.reader.ttl);
  const observeOldWriter = async (s: Readonly<MigrateState>): Promise<OldWriterObserved> => {
    const pos = need(s.toPosition, "the new writer's recorded position");
    const a = await conns.get(from);
    const st = await a.replicaStatus();
    // A stopped replication from before the switch (step 5 stops, never resets) names the same host
    // at an older position: only a replica at or past step 6's position was set up by this step.
    const followsNewWriter = st !== null && st.sourceHost === to.writer.host && st.sourcePort === to.writer.port && applied(st, pos);
    let usersActive = true;
    for (const u of users) if (!(await accountState(a.session, u)).active) usersActive = false;
    const aurora = isAurora(from.engine);
    const fullReadOnly = aurora || Number((await a.session.query(fullReadOnlyQuery(a.version.flavor)))[0]?.['ro']) === 1;
    return { aurora, followsNewWriter, threadsRunning: threadsRunning(st), usersActive, fullReadOnly };
  };

  return [
    {
      name: '0-snapshot',
      describe: () => `record the records' state before the switch: ${snapshot.dns.writer.name} -> ${snapshot.dns.writer.entries.map((e) => e.address).join(',')} (TTL ${snapshot.dns.writer.ttl} s), ${snapshot.dns.reader.name} (TTL ${snapshot.dns.reader.ttl} s)`,
      run: async () => ({ snapshot }),
    },
    {
      name: '1-lower-ttl',
      describe: title('1-lower-ttl'),
      run: async () => {
        await dns(lower, 'lower the TTL for the switch');
        // Waited even when a resumed step finds the TTL already lowered: the wait is the point.
        if (lower.length > 0) await env.sleep(maxOldTtl * 1000);
      },
      verify: () => dnsVerify(lower),
      undo: async () => void (await dns(ttlChanges(snapshot.dns, () => cfg.cutover.ttl_s, (r) => r.ttl), 'undo: restore the TTL')),
    },
    {
      name: '2-replica-record',
      describe: title('2-replica-record'),
      precheck: async () => {
        // Reads go to these instances next: each must answer before the record names it.
        for (const r of to.readers) {
          const a = await env.connect(to.engine, { host: r.host, port: r.port, user: cfg.admin.user, password: env.secrets.admin });
          await a.close();
        }
      },
      run: async () => void (await dns(readerOps, 'replica record to the new readers')),
      verify: () => dnsVerify(readerOps),
      undo: async () => void (await dns(readerChanges({ ...snapshot.dns.reader, entries: snapshot.readerEntriesAfter }, snapshot.dns.reader.entries), 'undo: replica record back')),
    },
    {
      name: '3-freeze-writes',
      describe: title('3-freeze-writes'),
      run: async () => {
        const a = await conns.get(from);
        const b = await conns.get(to);
        for (const u of users) {
          // A rollback's step 9 leaves the accounts frozen on an Aurora old writer. The rename below
          // replicates and must find them active there, so they are renamed back there first, only
          // while the source still has them active (never on a resume of this step).
          const [sa, sb] = [await accountState(a.session, u), await accountState(b.session, u)];
          if (sa.active && !sa.frozen && sb.frozen && !sb.active) {
            await prepareRename(b, to);
            await renameAccount(b.session, u, 'thaw', toName);
          }
          await renameAccount(a.session, u, 'freeze', fromName);
        }
        const ended = await endConnections(a.session, users, isAurora(from.engine));
        // Stops every writer the rename does not (another host entry, an unlisted account, an event).
        if (!isAurora(from.engine)) await a.session.query(READ_ONLY_ON);
        const fromFinal = await waitBinlogStill(a, cfg.cutover.writes_stopped_ms, wait, env.sleep);
        log.info({ ended, fromFinal }, `writes stopped on ${fromName}`);
        return { fromFinal, connectionsEnded: ended };
      },
      verify: async () => {
        const a = await conns.get(from);
        for (const u of users) if ((await accountState(a.session, u)).active) throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${u.user}@${u.host} still exists on ${fromName}`);
        if (!isAurora(from.engine) && (await a.role()) !== 'reader') throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${fromName} is not read-only after step 3`);
      },
      undo: async () => {
        const a = await conns.get(from);
        for (const u of users) await renameAccount(a.session, u, 'thaw', fromName);
        if (!isAurora(from.engine)) await a.setReadOnly(false);
      },
    },
    {
      name: '4-thaw-on-new-writer',
      describe: title('4-thaw-on-new-writer'),
      run: async (s) => {
        const final = need(s.fromFinal, "the old writer's final position");
        const b = await conns.get(to);
        if (!applied(await b.replicaStatus(), final)) await b.waitForPosition(final, wait);
        // Sessions opened on the target before the freeze arrived could write before step 6's
        // position (those writes would never reach the old writer): end them before the rename back.
        const ended = await endConnections(b.session, users, isAurora(to.engine));
        await prepareRename(b, to);
        for (const u of users) await renameAccount(b.session, u, 'thaw', toName);
        log.info({ ended }, `write user(s) back on ${toName}`);
      },
      verify: async () => {
        const b = await conns.get(to);
        for (const u of users) if (!(await accountState(b.session, u)).active) throw new RemoteError('MIGRATE_THAW_VERIFY', `${u.user}@${u.host} is missing on ${toName}`);
      },
    },
    {
      name: '5-stop-replication',
      describe: title('5-stop-replication'),
      precheck: async (s) => {
        // Re-checked right before the irreversible part: nothing was written since writes stopped.
        const final = need(s.fromFinal, "the old writer's final position");
        await expectStillAtFinal(await conns.get(from), final, fromName, 'stop replication');
      },
      run: async (s) => {
        const final = need(s.fromFinal, "the old writer's final position");
        const b = await conns.get(to);
        const status = await b.replicaStatus();
        if (!threadsStopped(status)) {
          if (!applied(status, final)) await b.waitForPosition(final, wait);
          await b.stopReplica();
        }
        if (!applied(await b.replicaStatus(), final)) throw new RemoteError('MIGRATE_NOT_CAUGHT_UP', `${toName} stopped before applying ${final.file}:${final.position}`);
        if (!isAurora(to.engine)) await b.setReadOnly(false);
      },
      verify: async () => {
        const b = await conns.get(to);
        if (!threadsStopped(await b.replicaStatus())) throw new RemoteError('MIGRATE_STOP_VERIFY', `${toName} still replicates`);
        if ((await b.role()) !== 'writer') throw new RemoteError('MIGRATE_NOT_WRITER', `${toName} is not writable (role query says reader)`, { next: 'on Aurora, check that target.writer is the cluster writer' });
      },
      undo: async () => {
        const b = await conns.get(to);
        if (!isAurora(to.engine)) await b.setReadOnly(true);
        if (threadsStopped(await b.replicaStatus())) await b.startReplica();
      },
    },
    {
      name: '6-record-position',
      describe: title('6-record-position'),
      run: async () => ({ toPosition: toRecorded(await (await conns.get(to)).binlogPosition()) }),
    },
    {
      name: '7-writer-record',
      describe: title('7-writer-record'),
      precheck: async () => {
        const b = await conns.get(to);
        if (!threadsStopped(await b.replicaStatus()) || (await b.role()) !== 'writer') {
          throw new RemoteError('MIGRATE_TARGET_NOT_READY', `${toName} is not a stopped-replication writer`, { next: 'resume from step 5' });
        }
      },
      run: async () => void (await dns(writerOps, 'writer record to the new writer')),
      verify: () => dnsVerify(writerOps),
      undo: async () => void (await dns([{ op: 'replace-writer', name: cfg.dns.writer_record, expect: { address: to.writer.host }, address: from.writer.host }], 'undo: writer record back')),
    },
    {
      name: '8-restore-ttl',
      describe: title('8-restore-ttl'),
      run: async () => void (await dns(restore, 'restore the TTL')),
      verify: () => dnsVerify(restore),
    },
    {
      name: '9-old-writer-follows',
      describe: title('9-old-writer-follows'),
      isDone: async (s) => s.toPosition !== undefined && oldWriterActions(await observeOldWriter(s)).length === 0,
      run: async (s) => {
        const pos = need(s.toPosition, "the new writer's recorded position");
        const final = need(s.fromFinal, "the old writer's final position");
        const a = await conns.get(from);
        for (const action of oldWriterActions(await observeOldWriter(s))) {
          switch (action) {
            case 'check-final-position':
              await expectStillAtFinal(a, final, fromName, `make it replicate from ${toName}`);
              break;
            case 'read-only':
              await a.session.query(READ_ONLY_ON);
              break;
            case 'reset-and-change-source':
              await a.resetReplicaAll();
              await a.changeSource({ kind: 'position', host: to.writer.host, port: to.writer.port, user: cfg.replication.user, password: env.secrets.replication, file: pos.file, position: pos.position, ssl: cfg.replication.ssl });
              break;
            case 'start-replica':
              await a.startReplica();
              log.info({ from: pos }, `9-old-writer-follows: replica started on ${fromName}`);
              break;
            case 'thaw-users':
              await prepareRename(a, from);
              for (const u of users) await renameAccount(a.session, u, 'thaw', fromName);
              break;
            case 'full-read-only':
              await a.setReadOnly(true);
              break;
          }
        }
      },
      verify: async () => waitRunning(await conns.get(from), to.writer, wait, env.sleep),
    },
  ];
}
