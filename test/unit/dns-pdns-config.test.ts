import { describe, expect, it } from 'vitest';
import { renderPdnsConfig, type PdnsConfigOptions } from '../../src/dns/pdns-config.js';
import { countPlaceholders, DEFAULT_PARAM_COUNTS, pdnsQueryOverrides } from '../../src/dns/pdns-queries.js';

const base: PdnsConfigOptions = {
  port: 15353,
  address: '127.0.0.1',
  zone: 'db.example.internal.',
  socketDir: '/tmp/pdns-x',
  db: { host: '127.53.1.1', port: 3306, user: 'pdns', password: 's3cret', dbname: 'mydns' },
};

function settings(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.indexOf('=');
    expect(m.has(line.slice(0, i)), `duplicate ${line.slice(0, i)}`).toBe(false);
    m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

describe('PowerDNS query overrides', () => {
  const overrides = pdnsQueryOverrides();
  for (const [name, want] of Object.entries(DEFAULT_PARAM_COUNTS)) {
    it(`${name} binds ${want} parameter(s), like the 4.7 default`, () => {
      expect(overrides[name]).toBeDefined();
      expect(countPlaceholders(overrides[name] ?? '')).toBe(want);
    });
  }
  it('overrides nothing it has no count for', () => {
    expect(Object.keys(overrides).sort()).toEqual(Object.keys(DEFAULT_PARAM_COUNTS).sort());
  });
  it('answers only weight > 0 and active rows in lookups', () => {
    for (const q of ['basic-query', 'id-query', 'any-query', 'any-id-query', 'list-query']) {
      expect(overrides[q]).toContain('r.weight > 0');
      expect(overrides[q]).toContain("r.active <> 'N'");
      expect(overrides[q]).toContain("s.active <> 'N'");
    }
  });
  it('has no character pdns.conf would interpret (line breaks, backslashes)', () => {
    for (const q of Object.values(overrides)) expect(q).not.toMatch(/[\n\r\\]/);
  });
  it('counts placeholders outside string literals only', () => {
    expect(countPlaceholders("SELECT '?' AS a, ? AS b, \"?\" AS c")).toBe(1);
  });
});

describe('renderPdnsConfig', () => {
  it('turns every cache off, keeps queries on the machine, and binds where asked', () => {
    const s = settings(renderPdnsConfig(base));
    expect(Object.fromEntries([...s].filter(([k]) => !k.endsWith('-query')))).toEqual({
      launch: 'gmysql',
      daemon: 'no',
      guardian: 'no',
      'local-address': '127.0.0.1',
      'local-port': '15353',
      'socket-dir': '/tmp/pdns-x',
      'security-poll-suffix': '',
      'cache-ttl': '0',
      'query-cache-ttl': '0',
      'negquery-cache-ttl': '0',
      'zone-cache-refresh-interval': '0',
      'disable-axfr': 'yes',
      'gmysql-host': '127.53.1.1',
      'gmysql-port': '3306',
      'gmysql-user': 'pdns',
      'gmysql-password': 's3cret',
      'gmysql-dbname': 'mydns',
      'gmysql-group': 'dbfleet-pdns',
      'gmysql-timeout': '1',
      'gmysql-dnssec': 'no',
    });
    expect([...s.keys()].filter((k) => k.endsWith('-query'))).toHaveLength(Object.keys(DEFAULT_PARAM_COUNTS).length);
  });

  it('prints a placeholder instead of the password when asked', () => {
    const text = renderPdnsConfig({ ...base, passwordPlaceholder: 'PUT-THE-PASSWORD-HERE' });
    expect(text).toContain('gmysql-password=PUT-THE-PASSWORD-HERE');
    expect(text).not.toContain('s3cret');
  });

  it('uses the socket when given one', () => {
    const s = settings(renderPdnsConfig({ ...base, db: { ...base.db, host: undefined, socket: '/run/mydns.sock' } }));
    expect(s.get('gmysql-socket')).toBe('/run/mydns.sock');
    expect(s.get('gmysql-host')).toBe('');
  });

  const bad: [string, Partial<PdnsConfigOptions>, RegExp][] = [
    ['a non-IP listen address', { address: 'localhost' }, /local-address/],
    ['port 0', { port: 0 }, /local-port/],
    ['a password with a line break (would inject settings)', { db: { ...base.db, password: 'x\nlaunch=bind' } }, /not representable/],
    ['a password ending in a backslash (line continuation)', { db: { ...base.db, password: 'abc\\' } }, /not representable/],
    ['a user with a line break', { db: { ...base.db, user: 'pdns\ncache-ttl=60' } }, /gmysql-user/],
    ['a timeout of 0', { dbTimeoutS: 0 }, /gmysql-timeout/],
  ];
  for (const [why, patch, want] of bad) {
    it(`refuses ${why}, without echoing the password`, () => {
      expect(() => renderPdnsConfig({ ...base, ...patch })).toThrow(want);
      try {
        renderPdnsConfig({ ...base, ...patch });
      } catch (e) {
        expect((e as Error).message).not.toContain('launch=bind');
      }
    });
  }
});
