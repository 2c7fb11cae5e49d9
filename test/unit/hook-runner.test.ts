import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { LocalHost } from '../../src/host/local-host.js';
import { runHook } from '../../src/failover/service/hook-runner.js';

// Real child processes: a hook that prints its whole environment and a password it got hold of.
describe('runHook', () => {
  it("gives a hook only PATH and the change's facts, and scrubs the checker's passwords from its output", async () => {
    process.env.DBFLEET_TEST_DNS_PASSWORD = 'very-secret-dns-pw';
    try {
      const r = await runHook(new LocalHost(), 'after_writer_change', { command: '/bin/sh', args: ['-c', 'env; echo leaked: very-secret-dns-pw'], timeout_ms: 5_000 }, { DBFLEET_NEW_WRITER: '10.0.0.2' }, silentLogger, ['very-secret-dns-pw']);
      expect(r.ok).toBe(true);
      expect(r.output).toContain('DBFLEET_NEW_WRITER=10.0.0.2');
      expect(r.output).not.toContain('DBFLEET_TEST_DNS_PASSWORD');
      expect(r.output).not.toContain('very-secret-dns-pw');
      expect(r.output).toContain('leaked: [redacted]');
    } finally {
      delete process.env.DBFLEET_TEST_DNS_PASSWORD;
    }
  });

  it('reports a hook past its timeout as failed, within the timeout', async () => {
    const t = Date.now();
    const r = await runHook(new LocalHost(), 'before_writer_change', { command: '/bin/sleep', args: ['30'], timeout_ms: 200 }, {}, silentLogger);
    expect(r).toMatchObject({ ok: false, exitCode: null });
    expect(r.error).toMatch(/did not finish within 200 ms/);
    expect(Date.now() - t).toBeLessThan(3_000);
  });
});
