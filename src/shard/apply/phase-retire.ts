import { connect } from 'node:net';
import { RemoteError, SafetyRefusal } from '../../core/errors.js';
import type { Phase } from '../../core/phases/phase-runner.js';
import type { RecordOp } from '../../dns/change-set.js';
import { applyChangeSet, listRecords } from '../../dns/record-store.js';
import { currentEndpoint, withAdmin, type ApplyDeps, type ApplySettings, type ApplyState } from './apply-context.js';
import type { RetireCandidate } from './retire-plan.js';

/** True when something accepts TCP connections on host:port (within 1 s). */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1_000 });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

/**
 * Retire one old server: it must not be any shard's writer nor carry reader weight; its rows
 * leave the reader records, it stops replicating, and mysqld shuts down (SHUTDOWN). Stopping or
 * terminating the machine itself is left to the operator.
 */
export function retirePhase(c: RetireCandidate, deps: ApplyDeps, s: ApplySettings): Phase<ApplyState> {
  const { server } = c;
  const q = { timeoutMs: 5_000 };
  const readerRows = async (): Promise<{ name: string; weight: number }[]> => {
    const dns = await deps.openDns();
    try {
      const out: { name: string; weight: number }[] = [];
      for (const r of c.records) {
        const reader = await listRecords(dns, s.zone, r.reader, q);
        for (const row of reader.records) if (row.address === server.host) out.push({ name: r.reader, weight: row.weight });
        const writer = await listRecords(dns, s.zone, r.writer, q);
        if (writer.records.some((w) => w.address === server.host)) {
          throw new SafetyRefusal('RETIRE_WRITER', `${server.id} (${server.host}) is what ${r.writer} points at: it is a master again`, {
            next: 'switch the shard back to its new master (dbfleet shard switchover) before retiring this server',
          });
        }
      }
      return out;
    } finally {
      await dns.close().catch(() => undefined);
    }
  };
  return {
    name: `retire/${server.id}`,
    describe: () => `retire ${server.id} (${server.host}:${server.port}, held ${c.shards.join(', ')}): drop its rows from ${c.records.map((r) => r.reader).join(', ')}, stop replication, shut mysqld down`,
    isDone: async () => !(await accepts(server.host, server.port)) && (await readerRows()).length === 0,
    precheck: async () => {
      const rows = await readerRows();
      const serving = rows.filter((r) => r.weight > 0);
      if (serving.length > 0) {
        throw new SafetyRefusal('RETIRE_SERVING_READS', `${server.id} still has weight ${serving.map((r) => `${r.weight} in ${r.name}`).join(', ')}`, { next: 'drain it first (the apply readers phase does), then retire' });
      }
      await withAdmin(deps, currentEndpoint(s, server), async (a) => {
        if ((await a.role()) === 'writer') throw new SafetyRefusal('RETIRE_WRITABLE', `${server.id} (${server.host}) is writable: it is not a retired old master`, { next: 'make sure no application writes there, set it read-only, then retire' });
      });
    },
    run: async () => {
      const rows = await readerRows();
      if (rows.length > 0) {
        const dns = await deps.openDns();
        try {
          const ops: RecordOp[] = rows.map((r) => ({ op: 'remove-address', name: r.name, address: server.host, expect: { weight: r.weight } }));
          await applyChangeSet(dns, s.zone, ops, { actor: deps.actor, why: `retire ${server.id} after consolidation of ${c.shards.join(', ')}` }, q);
        } finally {
          await dns.close().catch(() => undefined);
        }
      }
      await withAdmin(deps, currentEndpoint(s, server), async (a) => {
        await a.stopReplica().catch(() => undefined);
        await a.resetReplicaAll();
        deps.logger.info({ server: server.id }, 'replication removed; shutting mysqld down');
        await a.session.query('SHUTDOWN').catch(() => undefined); // the connection ends with the server
      });
    },
    verify: async () => {
      const deadline = Date.now() + 60_000;
      while (await accepts(server.host, server.port)) {
        if (Date.now() > deadline) throw new RemoteError('RETIRE_STILL_RUNNING', `${server.id} (${server.host}:${server.port}) still accepts connections 60 s after SHUTDOWN`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}
