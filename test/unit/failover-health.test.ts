import { describe, expect, it } from 'vitest';
import { observeRound } from '../../src/failover/decide/health-round.js';
import { newInstanceHealth, observe, type HealthState, type InstanceHealth } from '../../src/failover/decide/instance-health.js';
import { probeSucceeded, type ProbeObservation } from '../../src/failover/decide/probe-observation.js';
import { downHealth, id, policy, probe, upHealth } from './failover-fixtures.js';

/** 'o' good read-only probe, 'w' good writable probe, 'x' failed, 'n' answered but new connections refused. */
function run(start: InstanceHealth | undefined, seq: string): InstanceHealth {
  let h = start;
  let at = 1000;
  for (const c of seq) {
    at += 100;
    const spec = c === 'o' ? 'r' : c === 'w' ? 'w' : c === 'n' ? 'nr' : 'x';
    h = observe(h, probe('02', spec, at), policy);
  }
  return h as InstanceHealth;
}

describe('observe: hysteresis (fail_after 2, recover_after 3)', () => {
  it.each<[string, InstanceHealth | undefined, string, HealthState, number, number]>([
    ['a new instance starts joining', undefined, 'o', 'joining', 0, 1],
    ['joining stays joining at recover_after-1 successes', undefined, 'oo', 'joining', 0, 2],
    ['joining is up after recover_after successes', undefined, 'ooo', 'up', 0, 3],
    ['joining stays joining at fail_after-1 failures', undefined, 'x', 'joining', 1, 0],
    ['joining is down after fail_after failures', undefined, 'xx', 'down', 2, 0],
    ['up stays up at fail_after-1 failures', upHealth('reader'), 'x', 'up', 1, 0],
    ['up is down after fail_after failures', upHealth('reader'), 'xx', 'down', 2, 0],
    ['a success in between resets the failure count', upHealth('reader'), 'xoxox', 'up', 1, 0],
    ['down stays down at recover_after-1 successes', downHealth('reader'), 'oo', 'down', 0, 2],
    ['down is up after recover_after successes', downHealth('reader'), 'ooo', 'up', 0, 3],
    ['a failure in between resets the success count', downHealth('reader'), 'ooxoo', 'down', 0, 2],
    ['refused new connections count as failures', upHealth('reader'), 'nn', 'down', 2, 0],
    ['refused new connections never bring an instance up', downHealth('reader'), 'nnnn', 'down', 14, 0],
    ['up stays up however many successes', upHealth('reader'), 'oooooo', 'up', 0, 16],
  ])('%s', (_why, start, seq, state, failures, successes) => {
    const h = run(start, seq);
    expect(h.state).toBe(state);
    expect(h.consecutiveFailures).toBe(failures);
    expect(h.consecutiveSuccesses).toBe(successes);
  });

  it('records role, last good probe, last error and when the state changed', () => {
    const h = run(upHealth('writer'), 'oxx');
    expect(h).toMatchObject({ state: 'down', lastRole: 'reader', lastOkAt: 1100, lastProbeAt: 1300, lastError: 'connect ETIMEDOUT', stateSince: 1300 });
    const refused = run(undefined, 'n');
    expect(refused.lastError).toMatch(/new connection/);
    expect(refused.lastRole).toBe('reader');
  });

  it('ignores a probe older than the last one folded in (out-of-order completion)', () => {
    const h = observe(run(upHealth('reader'), 'o'), probe('02', 'x', 500), policy);
    expect(h.consecutiveFailures).toBe(0);
    expect(h.lastProbeAt).toBe(1100);
  });
});

describe('probeSucceeded', () => {
  it.each<[string, Partial<ProbeObservation>, boolean]>([
    ['answered', { ok: true }, true],
    ['answered, new connection fine', { ok: true, newConnectionOk: true }, true],
    ['answered, new connection refused', { ok: true, newConnectionOk: false }, false],
    ['failed', { ok: false }, false],
  ])('%s', (_why, p, expected) => {
    expect(probeSucceeded({ instanceId: 'i', address: '127.0.0.1', at: 0, latencyMs: 1, ok: false, ...p })).toBe(expected);
  });
});

describe('observeRound', () => {
  const up = { [id('01')]: upHealth('writer'), [id('02')]: upHealth('reader') };

  it('counts failures when at least one instance answered', () => {
    const h = observeRound(up, [probe('01', 'w', 1), probe('02', 'x', 1)], policy);
    expect(h[id('02')]?.consecutiveFailures).toBe(1);
  });

  it("does not count a round where every instance failed (the checker's network), so nothing is drained when it returns", () => {
    let h: Record<string, InstanceHealth> = up;
    for (let t = 1; t <= 10; t++) h = observeRound(h, [probe('01', 'x', t), probe('02', 'nr', t)], policy);
    expect(h[id('01')]).toMatchObject({ state: 'up', consecutiveFailures: 0, lastProbeAt: 10, lastError: 'connect ETIMEDOUT' });
    expect(h[id('02')]?.state).toBe('up');
  });

  it('starts unseen instances as joining and leaves instances missing from the round alone', () => {
    const h = observeRound({ [id('01')]: upHealth('writer') }, [probe('03', 'r', 1)], policy);
    expect(h[id('03')]).toMatchObject({ ...newInstanceHealth(), consecutiveSuccesses: 1, lastRole: 'reader', lastOkAt: 1, lastProbeAt: 1 });
    expect(h[id('01')]).toEqual(upHealth('writer'));
  });
});
