import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { DnsGateway } from '../../src/failover/service/dns-gateway.js';
import type { Row, SqlSession } from '../../src/mysql/admin.js';

/**
 * The checker's gateway against a scripted MyDNS session: the race where an operator drains an
 * address after the checker last read the records cannot be timed for real, so the session
 * answers from plain data and records what was written.
 */
const ZONE = 'db.example.internal.';

function fakeMydns(): { session: SqlSession; drains: Row[]; weights: Record<string, number>; log: string[] } {
  const weights: Record<string, number> = { '127.0.10.1': 0, '127.0.10.2': 100, '127.0.10.3': 100 };
  const drains: Row[] = [];
  const log: string[] = [];
  const session: SqlSession = {
    threadId: 1,
    async query(sql) {
      log.push(sql.split(' ').slice(0, 2).join(' '));
      if (/dbfleet_drain/.test(sql)) return drains;
      if (/FROM soa/.test(sql)) return [{ id: 1, origin: ZONE, serial: 7 }];
      if (/SELECT DISTINCT name FROM rr/.test(sql)) return [{ name: 'aurora-test-r' }];
      if (/FROM rr WHERE/.test(sql)) return Object.entries(weights).map(([data, weight], i) => ({ id: i + 1, name: 'aurora-test-r', type: 'A', data, weight, ttl: 1, active: 'Y' }));
      if (/FROM dbfleet_name/.test(sql)) return [{ name: 'aurora-test-r', role: 'reader' }];
      return [];
    },
    async execute(sql, params = []) {
      log.push(sql.split(' ').slice(0, 2).join(' '));
      // apply weight updates, so the gateway's read-back after COMMIT sees what was written
      if (/^UPDATE rr SET type = \?, data = \?, weight = \?/.test(sql)) weights[String(params[1])] = Number(params[2]);
      return { affectedRows: 1, insertId: 0 };
    },
    async close() {},
    destroy() {},
  };
  return { session, drains, weights, log };
}

function gateway(session: SqlSession): DnsGateway {
  return new DnsGateway({ zone: ZONE, connect: async () => session, queryTimeoutMs: 1_000, actor: 'checker@test', fence: () => async () => undefined, active: () => true, logger: silentLogger });
}

const drainRow = (address: string): Row => ({ name: 'aurora-test-r', address, reason: 'type change', actor: 'cli:alice@ops', created: '2026-01-01T00:00:00.000Z' });

describe('DnsGateway and operator drains', () => {
  it('reads the drains with the records and answers them by reader name, in either form', async () => {
    const db = fakeMydns();
    db.drains.push(drainRow('127.0.10.2'));
    const g = gateway(db.session);
    expect(g.drained('aurora-test-r')).toEqual([]);
    await g.refreshAll();
    expect(g.drained('aurora-test-r')).toEqual(['127.0.10.2']);
    expect(g.drained('aurora-test-r.db.example.internal.')).toEqual(['127.0.10.2']);
    expect(g.drained('aurora-test-other-r')).toEqual([]);
  });

  it('refuses, inside the transaction, a change that would restore an address drained since the records were read', async () => {
    const db = fakeMydns();
    const g = gateway(db.session);
    await g.refreshAll();
    // the operator drains .2 now: its row and its weight 0 commit together
    db.drains.push(drainRow('127.0.10.2'));
    db.weights['127.0.10.2'] = 0;
    db.log.length = 0;
    await expect(g.apply([{ op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.2', expect: { weight: 0 }, weight: 100 }], 'Healthy: .2 up and read-only')).rejects.toMatchObject({
      code: 'DNS_CONFLICT',
      message: expect.stringMatching(/set-weight aurora-test-r 127.0.10.2 would undo an operator drain made since the records were read; nothing was changed/),
    });
    expect(db.log).toContain('ROLLBACK');
    expect(db.log.filter((l) => l.startsWith('UPDATE') || l.startsWith('INSERT') || l === 'COMMIT')).toEqual([]);
    // what the transaction read is what the next decision sees
    expect(g.drained('aurora-test-r')).toEqual(['127.0.10.2']);
  });

  it('lets every other change through (draining is never blocked)', async () => {
    const db = fakeMydns();
    db.drains.push(drainRow('127.0.10.2'));
    const g = gateway(db.session);
    await g.refreshAll();
    await g.apply([{ op: 'set-weight', name: 'aurora-test-r', address: '127.0.10.3', expect: { weight: 100 }, weight: 0 }], 'a reader down');
    expect(db.log).toContain('COMMIT');
    expect(db.log.some((l) => l.startsWith('UPDATE rr'))).toBe(true);
    expect(db.weights['127.0.10.3']).toBe(0);
  });
});
