import { RemoteError } from '../core/errors.js';
import type { Phase } from '../core/phases/phase-runner.js';
import { READ_ONLY_ON, readerChanges, ttlChanges, type Runbook, type RunbookStep, type StepPhase, type RecordedPosition, type DnsSnapshot } from './runbook.js';
import { applyPending, verifyApplied } from './dns-steps.js';
import { withDns, type MigrateEnv, type WriterConnections } from './migrate-env.js';
import { applied, comparePositions, threadsStopped, toRecorded, waitBinlogStill, waitRunning } from './replication-checks.js';
import { describeInstance, isAurora } from './sides.js';
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
        for (const u of users) await renameAccount(a.session, u, 'freeze', fromName);
        const ended = await endConnections(a.session, users, isAurora(from.engine));
        const fromFinal = await waitBinlogStill(a, cfg.cutover.writes_stopped_ms, wait, env.sleep);
        log.info({ ended, fromFinal }, `writes stopped on ${fromName}`);
        return { fromFinal, connectionsEnded: ended };
      },
      verify: async () => {
        const a = await conns.get(from);
        for (const u of users) if ((await accountState(a.session, u)).active) throw new RemoteError('MIGRATE_FREEZE_VERIFY', `${u.user}@${u.host} still exists on ${fromName}`);
      },
      undo: async () => {
        const a = await conns.get(from);
        for (const u of users) await renameAccount(a.session, u, 'thaw', fromName);
      },
    },
    {
      name: '4-thaw-on-new-writer',
      describe: title('4-thaw-on-new-writer'),
      run: async (s) => {
        const final = need(s.fromFinal, "the old writer's final position");
        const b = await conns.get(to);
        if (!applied(await b.replicaStatus(), final)) await b.waitForPosition(final, wait);
        for (const u of users) await renameAccount(b.session, u, 'thaw', toName);
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
        const now = await (await conns.get(from)).binlogPosition();
        if (comparePositions(now, final) !== 0) {
          throw new RemoteError('MIGRATE_WRITES_RESUMED', `${fromName} wrote after writes were stopped (${final.file}:${final.position} -> ${now.file}:${now.position})`, {
            next: 'find the account that still writes; then run `migrate rollback` or resume',
          });
        }
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
      isDone: async () => {
        const a = await conns.get(from);
        const st = await a.replicaStatus();
        if (!st || st.sourceHost !== to.writer.host || st.sourcePort !== to.writer.port || st.ioRunning !== 'yes' || !st.sqlRunning) return false;
        for (const u of users) if (!(await accountState(a.session, u)).active) return false;
        return true;
      },
      run: async (s) => {
        const pos = need(s.toPosition, "the new writer's recorded position");
        const a = await conns.get(from);
        // read_only first (the write users cannot write from here on), super_read_only last: on
        // MySQL 8 it would refuse the RENAME USER and the replication set-up to the admin as well.
        if (!isAurora(from.engine)) await a.session.query(READ_ONLY_ON);
        for (const u of users) await renameAccount(a.session, u, 'thaw', fromName);
        await a.resetReplicaAll();
        await a.changeSource({ kind: 'position', host: to.writer.host, port: to.writer.port, user: cfg.replication.user, password: env.secrets.replication, file: pos.file, position: pos.position, ssl: cfg.replication.ssl });
        await a.startReplica();
        if (!isAurora(from.engine)) await a.setReadOnly(true);
      },
      verify: async () => waitRunning(await conns.get(from), to.writer, wait, env.sleep),
    },
  ];
}
