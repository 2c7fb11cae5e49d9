import { isIP } from 'node:net';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { MysqldEngine } from './mysqld-engine.js';

/** Everything that defines one mysqld process on a host (one per secondary IP). */
export interface MysqldSpec {
  /** Process name; files are named after it (`my-<name>.cnf`). */
  name: string;
  /** Directory that holds this process's config, datadir, binlogs, socket and logs. */
  baseDir: string;
  bindAddress: string;
  port: number;
  serverId: number;
  bufferPoolMb: number;
  readOnly: boolean;
  /** Run as root (needs `user=root` in the file); true for the sandbox, false in production. */
  runAsRoot: boolean;
  /** Extra [mysqld] settings, e.g. { innodb_flush_log_at_trx_commit: '2' }. Keys are validated. */
  extra?: Readonly<Record<string, string>>;
  /** Where `my-<name>.cnf` goes when not in its own directory (the plan's `/etc/my-<shard>.cnf`). */
  configPath?: string;
  /** The server this process runs; MariaDB when absent. */
  engine?: MysqldEngine | undefined;
}

export interface MysqldPaths {
  dir: string;
  configFile: string;
  dataDir: string;
  binlogBase: string;
  relayLogBase: string;
  tmpDir: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  /** stdout/stderr of the process itself (start-up failures before the error log opens). */
  consoleLog: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const OPTION = /^[a-z][a-z0-9_-]{0,63}$/;
const OPTION_VALUE = /^[A-Za-z0-9_./:,=+-]{0,200}$/;
/** Linux sun_path is 108 bytes including the terminator. */
const MAX_SOCKET_PATH = 107;

export function mysqldPaths(spec: Pick<MysqldSpec, 'name' | 'baseDir' | 'configPath'>): MysqldPaths {
  const dir = join(spec.baseDir, spec.name);
  return {
    dir,
    configFile: spec.configPath ?? join(dir, `my-${spec.name}.cnf`),
    dataDir: join(dir, 'data'),
    binlogBase: join(dir, 'binlog', 'mysql-bin'),
    relayLogBase: join(dir, 'binlog', 'relay-bin'),
    tmpDir: join(dir, 'tmp'),
    socket: join(dir, 'mysqld.sock'),
    pidFile: join(dir, 'mysqld.pid'),
    errorLog: join(dir, 'error.log'),
    consoleLog: join(dir, 'console.log'),
  };
}

/** Rejects a spec that would produce a broken or unsafe config file, naming the field. */
export function validateSpec(spec: MysqldSpec): void {
  const bad = (field: string, why: string): never => {
    throw new UsageError(`mysqld spec ${spec.name || '(unnamed)'}: ${field} ${why}`);
  };
  if (!NAME.test(spec.name)) bad('name', 'must be 1-63 letters, digits, "_" or "-"');
  if (!spec.baseDir.startsWith('/')) bad('baseDir', 'must be an absolute path');
  if (/[\s"'#;\\]/.test(spec.baseDir)) bad('baseDir', 'must not contain spaces, quotes, "#", ";" or backslashes');
  if (spec.configPath !== undefined && !/^\/[A-Za-z0-9._/-]+\.cnf$/.test(spec.configPath)) bad('configPath', 'must be an absolute path of letters, digits, ".", "_", "/" or "-" ending in .cnf');
  if (isIP(spec.bindAddress) === 0) bad('bindAddress', `must be an IP address, got ${JSON.stringify(spec.bindAddress)}`);
  if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) bad('port', 'must be an integer 1-65535');
  if (!Number.isInteger(spec.serverId) || spec.serverId < 1 || spec.serverId > 4294967295) bad('serverId', 'must be an integer 1-4294967295');
  if (!Number.isInteger(spec.bufferPoolMb) || spec.bufferPoolMb < 5) bad('bufferPoolMb', 'must be an integer of at least 5');
  const prefix = spec.engine?.kind === 'mysql' ? spec.engine.prefix : undefined;
  if (prefix !== undefined && !/^\/[A-Za-z0-9._/-]+$/.test(prefix)) bad('engine.prefix', 'must be an absolute path of letters, digits, ".", "_", "/" or "-"');
  for (const [k, v] of Object.entries(spec.extra ?? {})) {
    if (!OPTION.test(k)) bad(`extra.${k}`, 'is not a valid option name');
    if (!OPTION_VALUE.test(v)) bad(`extra.${k}`, `has a value with characters not allowed in a config file: ${JSON.stringify(v)}`);
  }
  const socket = mysqldPaths(spec).socket;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    bad('baseDir', `is too long: the socket path ${socket} exceeds ${MAX_SOCKET_PATH} bytes; use a shorter directory`);
  }
}
