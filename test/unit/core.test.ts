import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, redactDsn } from '../../src/core/logger.js';
import { withDeadline } from '../../src/core/deadline.js';
import { ConfigError, RemoteError, SafetyRefusal, TimeoutError, UsageError } from '../../src/core/errors.js';
import { ManualClock } from '../../src/core/clock.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n') };
}

describe('logger', () => {
  it('redacts password fields at any usual depth and DSN passwords inside messages', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream });
    log.info({ password: 'p1', endpoint: { host: 'h', password: 'p2' }, deep: { x: { password: 'p3' } } }, 'connecting');
    log.info('dsn is mysql://dbfleet:p4@127.0.0.1:3306/mydns');
    const text = out.lines().join('\n');
    for (const secret of ['p1', 'p2', 'p3', 'p4']) expect(text).not.toContain(`"${secret}"`);
    expect(text).not.toContain(':p4@');
    expect(text).toContain('mysql://dbfleet:***@127.0.0.1:3306/mydns');
    expect(JSON.parse(out.lines()[0] ?? '{}').endpoint.host).toBe('h');
  });

  it('redactDsn leaves a DSN without a password alone', () => {
    expect(redactDsn('mysql://dbfleet@127.0.0.1/mydns')).toBe('mysql://dbfleet@127.0.0.1/mydns');
  });
});

describe('errors', () => {
  it.each([
    [new UsageError('x'), 'USAGE', 'operator', 2],
    [new ConfigError('x'), 'CONFIG', 'operator', 2],
    [new TimeoutError('x'), 'TIMEOUT', 'remote', 1],
    [new RemoteError('MYSQL_CONNECT', 'x'), 'MYSQL_CONNECT', 'remote', 1],
    [new SafetyRefusal('SPLIT_BRAIN', 'x'), 'SPLIT_BRAIN', 'safety', 1],
  ])('%s has a stable code, a fault and an exit code', (err, code, fault, exit) => {
    expect(err.code).toBe(code);
    expect(err.fault).toBe(fault);
    expect(err.cliExitCode).toBe(exit);
  });

  it('says what to do next', () => {
    expect(new ConfigError('bad', { next: 'fix it' }).describe()).toBe('bad\n  next: fix it');
    expect(new TimeoutError('slow').retryable).toBe(true);
  });
});

describe('withDeadline', () => {
  it('rejects with TimeoutError at the deadline even when the work ignores its signal', async () => {
    const started = Date.now();
    const never = new Promise<never>(() => {});
    await expect(withDeadline('hung thing', 50, () => never)).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('aborts the work signal on timeout and passes results through', async () => {
    let aborted = false;
    await withDeadline('w', 20, (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => { aborted = true; reject(new Error('x')); }))).catch(() => undefined);
    expect(aborted).toBe(true);
    expect(await withDeadline('w', 1000, async () => 42)).toBe(42);
  });

  it('reports a cancellation by the caller as such', async () => {
    const c = new AbortController();
    const p = withDeadline('w', 10_000, () => new Promise(() => {}), c.signal);
    c.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('ManualClock', () => {
  it('wakes sleepers only when time is advanced past their deadline', async () => {
    const clock = new ManualClock(1000);
    let woke = false;
    const p = clock.sleep(100).then(() => {
      woke = true;
    });
    clock.advance(99);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await p;
    expect(woke).toBe(true);
    expect(clock.now()).toBe(1100);
  });
});

describe('pretty log lines for terminals', () => {
  it('formats time, level, message and fields, and passes non-JSON through', async () => {
    const { formatLogLine } = await import('../../src/core/pretty-log-stream.js');
    expect(formatLogLine('{"level":30,"time":"2026-11-23T11:44:52.550Z","mysqld":"a","pid":7,"msg":"mysqld ready"}')).toBe('11:44:52.550 INFO  mysqld ready  mysqld=a pid=7');
    expect(formatLogLine('not json')).toBe('not json');
  });
});
