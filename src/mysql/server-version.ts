import type { Flavor, Row, ServerVersion } from './admin.js';
import { FlavorMismatchError, UnsupportedServerError } from './mysql-errors.js';

/**
 * Version and flavour detection, pure. One round trip reads everything it needs: SHOW VARIABLES
 * returns no row (instead of an error) for @@aurora_version on servers that are not Aurora.
 */
export const VERSION_QUERY =
  "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('version', 'version_comment', 'aurora_version')";

export interface VersionVariables {
  version: string;
  versionComment?: string | undefined;
  auroraVersion?: string | undefined;
}

/** Turns the Variable_name/Value rows of VERSION_QUERY into VersionVariables. */
export function versionVariablesFromRows(rows: readonly Row[]): VersionVariables {
  const byName = new Map<string, string>();
  for (const row of rows) {
    const name = row['Variable_name'] ?? row['VARIABLE_NAME'];
    const value = row['Value'] ?? row['VARIABLE_VALUE'];
    if (typeof name === 'string') byName.set(name.toLowerCase(), value == null ? '' : String(value));
  }
  const version = byName.get('version');
  if (!version) throw new UnsupportedServerError('the server did not report @@version');
  return { version, versionComment: byName.get('version_comment'), auroraVersion: byName.get('aurora_version') || undefined };
}

const LEADING_VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?/;
// "8.0.mysql_aurora.3.05.2" and "5.7.mysql_aurora.2.11.2", the engine-version form.
const AURORA_IN_VERSION = /^(\d+)\.(\d+)\.mysql_aurora\.(\d+\.\d+\.\d+)/;

// MySQL patch level of Aurora 3 minor releases, used only when @@version does not carry it.
// Aurora 3 is at least 8.0.23, so an unknown minor falls back to that (the conservative choice:
// every feature dbfleet gates on a later 8.0 patch has an older spelling that still works).
const AURORA3_MYSQL_PATCH: Readonly<Record<number, number>> = {
  1: 23, 2: 23, 3: 26, 4: 28, 5: 32, 6: 34, 7: 36, 8: 39, 9: 40, 10: 42, 11: 43, 12: 44, 13: 45,
};

export function parseServerVersion(vars: VersionVariables, flavorHint?: Flavor): ServerVersion {
  const detected = detect(vars);
  if (flavorHint && flavorHint !== detected.flavor) {
    throw new FlavorMismatchError(
      `the server is ${describeVersion(detected)}, but the configuration says engine ${flavorHint}`,
      { next: `set the cluster's engine to ${detected.flavor}, or check that the address points at the intended server` },
    );
  }
  return detected;
}

export function describeVersion(v: ServerVersion): string {
  const base = `${v.flavor} ${v.major}.${v.minor}.${v.patch}`;
  return v.auroraVersion ? `${base} (Aurora ${v.auroraVersion})` : base;
}

/** True when the server's (MySQL-compatible) version is at least major.minor.patch. */
export function versionAtLeast(v: ServerVersion, major: number, minor: number, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

function detect(vars: VersionVariables): ServerVersion {
  const raw = vars.version.trim();
  const comment = vars.versionComment ?? '';
  const auroraInVersion = AURORA_IN_VERSION.exec(raw);
  const auroraVersion = vars.auroraVersion?.trim() || auroraInVersion?.[3];
  if (auroraVersion) return detectAurora(raw, auroraVersion);
  if (/mariadb/i.test(raw) || /mariadb/i.test(comment)) return detectMariadb(raw);
  return detectMysql(raw);
}

function unsupported(raw: string, why: string): never {
  throw new UnsupportedServerError(`unsupported server version "${raw}": ${why}`, {
    next: 'dbfleet supports MySQL 5.7, 8.0-8.4 and 9.x, Aurora MySQL 2 and 3, MariaDB 10.4-11.x',
  });
}

function numbers(raw: string): [number, number, number] {
  const m = LEADING_VERSION.exec(raw);
  if (!m) unsupported(raw, 'it does not start with a version number');
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function detectMysql(raw: string): ServerVersion {
  const [major, minor, patch] = numbers(raw);
  // 9.x (the 9.7 LTS) speaks the 8.4 dialect; checked against a real 9.7 server here.
  const supported = (major === 5 && minor === 7) || (major === 8 && minor <= 4) || major === 9;
  if (!supported) unsupported(raw, `MySQL ${major}.${minor} has no dialect`);
  return { flavor: 'mysql', major, minor, patch, raw };
}

function detectMariadb(raw: string): ServerVersion {
  // Old clients and proxies see "5.5.5-10.11.6-MariaDB": the prefix kept pre-5.5 clients working.
  const text = raw.replace(/^5\.5\.5-/, '');
  const [major, minor, patch] = numbers(text);
  const supported = (major === 10 && minor >= 4) || major === 11;
  if (!supported) unsupported(raw, `MariaDB ${major}.${minor} has no dialect`);
  return { flavor: 'mariadb', major, minor, patch, raw };
}

function detectAurora(raw: string, auroraVersion: string): ServerVersion {
  const aurora = /^(\d+)\.(\d+)/.exec(auroraVersion);
  if (!aurora) unsupported(`${raw} / aurora ${auroraVersion}`, 'unreadable @@aurora_version');
  const auroraMajor = Number(aurora[1]);
  const auroraMinor = Number(aurora[2]);
  const expected = auroraMajor === 2 ? [5, 7] : auroraMajor === 3 ? [8, 0] : undefined;
  if (!expected) unsupported(`${raw} / aurora ${auroraVersion}`, `Aurora MySQL ${auroraMajor} has no dialect`);
  const [major, minor, parsedPatch] = numbers(raw);
  if (major !== expected[0] || minor !== expected[1]) {
    unsupported(`${raw} / aurora ${auroraVersion}`, `Aurora ${auroraMajor} should report MySQL ${expected.join('.')}`);
  }
  let patch = parsedPatch;
  if (AURORA_IN_VERSION.test(raw)) patch = auroraMajor === 2 ? 12 : (AURORA3_MYSQL_PATCH[auroraMinor] ?? 23);
  return { flavor: 'aurora-mysql', major, minor, patch, raw, auroraVersion };
}
