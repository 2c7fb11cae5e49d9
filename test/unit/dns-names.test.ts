import { describe, expect, it } from 'vitest';
import { checkTtl, checkWeight, fqdn, normalizeZone, parseAddress, parseIntegerArg, relativeName } from '../../src/dns/dns-names.js';
import { formatDsn, parseDsn } from '../../src/dns/dns-dsn.js';

describe('names relative to the zone', () => {
  const zone = 'db.example.internal.';
  const cases: [string, string | RegExp][] = [
    ['aurora-test-w', 'aurora-test-w'],
    ['Aurora-Test-W', 'aurora-test-w'],
    ['aurora-test-w.db.example.internal', 'aurora-test-w'],
    ['aurora-test-w.db.example.internal.', 'aurora-test-w'],
    ['shard-7.r', 'shard-7.r'],
    ['aurora-test-w.other.zone.', /not inside zone/],
    ['db.example.internal.', /zone apex/],
    ['db.example.internal', /zone apex/],
    ['', /not a valid host name/],
    ['bad name', /not a valid host name/],
    ["x';DROP TABLE rr;--", /not a valid host name/],
    ['-leading-dash', /not a valid host name/],
    ['a'.repeat(65), /at most 64/],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} -> ${String(want)}`, () => {
      if (typeof want === 'string') expect(relativeName(input, zone)).toBe(want);
      else expect(() => relativeName(input, zone)).toThrow(want);
    });
  }
  it('normalises zones and builds absolute names', () => {
    expect(normalizeZone('DB.Example.Internal')).toBe('db.example.internal.');
    expect(fqdn('aurora-test-w', 'db.example.internal')).toBe('aurora-test-w.db.example.internal.');
    expect(() => normalizeZone('..')).toThrow(/not a DNS zone/);
  });
});

describe('addresses, weights, TTLs, integers typed by an operator', () => {
  it('accepts IPv4 and IPv6 with their record types, refuses the rest', () => {
    expect(parseAddress('127.0.10.1')).toEqual({ address: '127.0.10.1', type: 'A' });
    expect(parseAddress('FD00::1')).toEqual({ address: 'fd00::1', type: 'AAAA' });
    for (const bad of ['10.0.0.256', 'db-1', '', '10.0.0.1/32', '1.2.3']) expect(() => parseAddress(bad)).toThrow(/not an IP address/);
  });
  it('weights are integers 0..65535; TTLs 1..604800 s', () => {
    expect(checkWeight(0)).toBe(0);
    expect(checkWeight(65_535)).toBe(65_535);
    for (const bad of [-1, 0.5, 65_536, Number.NaN]) expect(() => checkWeight(bad)).toThrow(/invalid/);
    expect(checkTtl(1)).toBe(1);
    for (const bad of [0, -5, 604_801, 1.5]) expect(() => checkTtl(bad)).toThrow(/out of range/);
  });
  it('parses digits only', () => {
    expect(parseIntegerArg('100', 'weight')).toBe(100);
    expect(parseIntegerArg('-1', 'weight')).toBe(-1);
    for (const bad of ['1e2', '0x10', '1.5', '', 'ten', '99999999999']) expect(() => parseIntegerArg(bad, 'weight')).toThrow(/not a whole number/);
  });
});

describe('MyDNS DSN', () => {
  it('parses mysql://USER@HOST:PORT/DATABASE', () => {
    expect(parseDsn('mysql://dbfleet@127.0.53.1:3306/mydns')).toEqual({ user: 'dbfleet', host: '127.0.53.1', port: 3306, database: 'mydns', socketPath: undefined });
    expect(parseDsn('mysql://dbfleet@[::1]/mydns')).toMatchObject({ host: '::1', port: 3306 });
    expect(formatDsn(parseDsn('mysql://dbfleet@[::1]:3307/mydns'))).toBe('mysql://dbfleet@[::1]:3307/mydns');
  });
  const bad: [string, RegExp][] = [
    ['mysql://dbfleet:hunter2@127.0.0.1/mydns', /must not contain a password/],
    ['postgres://u@h/db', /must start with mysql/],
    ['mysql://127.0.0.1/mydns', /needs a user/],
    ['mysql://u@127.0.0.1/', /needs a database/],
    ['mysql://u@127.0.0.1/my-dns;drop', /needs a database/],
    ['not a url', /not a URL/],
  ];
  for (const [dsn, want] of bad) {
    it(`refuses ${dsn.replace('hunter2', '***')}`, () => {
      expect(() => parseDsn(dsn)).toThrow(want);
      try {
        parseDsn(dsn);
      } catch (e) {
        expect(String((e as Error).message)).not.toContain('hunter2');
        expect((e as { cliExitCode: number }).cliExitCode).toBe(2);
      }
    });
  }
});
