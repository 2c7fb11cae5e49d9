import { execFile, spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export const SSHD = '/usr/sbin/sshd';

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface HostKeyInfo {
  /** `ssh-ed25519 AAAA…` (the .pub line without its comment). */
  publicKey: string;
  /** As `ssh-keygen -lf` prints it: `SHA256:…`. */
  fingerprint: string;
}

export interface SshdFixture {
  dir: string;
  host: '127.0.0.1';
  port: number;
  /** PID of the listening sshd (started by this fixture in its own session). */
  pid: number;
  user: string;
  /** A client key listed in authorized_keys. */
  clientKeyPath: string;
  hostKeys: Record<HostKeyType, HostKeyInfo>;
  /** A known_hosts line for this server's key of the given type. */
  knownHostsLine(type: HostKeyType): string;
  /** Writes a known_hosts file in the fixture dir and returns its path. */
  writeKnownHosts(name: string, lines: readonly string[]): Promise<string>;
  /** Generates a key pair outside authorized_keys (or a stand-in host key); returns paths and public line. */
  newKey(name: string, type?: HostKeyType): Promise<{ path: string; publicKey: string }>;
  /** PIDs of the per-connection sshd processes (children of the listener). */
  connectionPids(): Promise<number[]>;
  /** Kills the per-connection sshd processes, dropping every client. */
  dropConnections(): Promise<number>;
  /** sshd's own log (-e). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH server on 127.0.0.1 and a random high port, for one test file: temp dir, host
 * keys of three types, a client key in authorized_keys, key-only auth, no PAM, StrictModes off
 * (temp dirs are 1777). Validated with `sshd -t` and started as `setsid sshd -D -e -f cfg`.
 */
export async function startSshd(): Promise<SshdFixture> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation dir
  const temp = await makeTempDir('sshd');
  const dir = temp.path;
  const hostKeys = {} as Record<HostKeyType, HostKeyInfo>;
  const keygen = async (path: string, type: HostKeyType, comment: string): Promise<string> => {
    await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', comment, '-f', path]);
    return (await readFile(`${path}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  };
  await Promise.all(
    (['ed25519', 'ecdsa', 'rsa'] as const).map(async (type) => {
      const path = join(dir, `host_${type}`);
      const publicKey = await keygen(path, type, `host-${type}`);
      const { stdout } = await run('ssh-keygen', ['-l', '-f', `${path}.pub`]);
      hostKeys[type] = { publicKey, fingerprint: stdout.split(/\s+/)[1] ?? '' };
    }),
  );
  const clientKeyPath = join(dir, 'client_ed25519');
  await writeFile(join(dir, 'authorized_keys'), `${await keygen(clientKeyPath, 'ed25519', 'dbfleet-test')}\n`, { mode: 0o600 });

  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const cfg = join(dir, 'sshd_config');
    await writeSshdConfig(cfg, dir, port);
    const logPath = join(dir, 'sshd.log');
    const logFd = openSync(logPath, 'a');
    const child = spawn(SSHD, ['-D', '-e', '-f', cfg], { detached: true, stdio: ['ignore', 'ignore', logFd] });
    closeSync(logFd);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error('sshd did not start');
    let exited = false;
    child.once('exit', () => (exited = true));
    if (await waitForPort(port, () => exited)) {
      const fixture: SshdFixture = {
        dir,
        host: '127.0.0.1',
        port,
        pid,
        user: userInfo().username,
        clientKeyPath,
        hostKeys,
        knownHostsLine: (type) => `[127.0.0.1]:${port} ${hostKeys[type].publicKey}`,
        async writeKnownHosts(name, lines) {
          const path = join(dir, name);
          await writeFile(path, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
          return path;
        },
        async newKey(name, type = 'ed25519') {
          const path = join(dir, name);
          return { path, publicKey: await keygen(path, type, name) };
        },
        connectionPids: () => childPids(pid),
        async dropConnections() {
          const children = await childPids(pid);
          // a session's sshd process may end on its own between the listing and the kill (a client
          // that just closed): gone is what was asked for
          for (const c of children) killIfThere(c);
          return children.length;
        },
        log: () => readFile(logPath, 'utf8'),
        async stop() {
          for (const c of await childPids(pid)) killIfThere(c);
          await stopPid(pid, () => exited);
          await temp.remove();
        },
      };
      return fixture;
    }
    lastError = await readFile(logPath, 'utf8').catch(() => '');
    await stopPid(pid, () => exited);
  }
  await temp.remove();
  throw new Error(`sshd did not start listening after 3 attempts:\n${lastError}`);
}

async function writeSshdConfig(cfg: string, dir: string, port: number): Promise<void> {
  const lines = [
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    ...(['ed25519', 'ecdsa', 'rsa'] as const).map((t) => `HostKey ${join(dir, `host_${t}`)}`),
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'MaxStartups 100',
    'LogLevel VERBOSE',
    // OpenSSH >= 9.8 penalises addresses whose connections fail (the refused-host-key tests do
    // that on purpose); older versions reject the option, so it is dropped when sshd -t does.
    'PerSourcePenalties no',
  ];
  await writeFile(cfg, `${lines.join('\n')}\n`);
  try {
    await run(SSHD, ['-t', '-f', cfg]);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    if (!/PerSourcePenalties/.test(stderr)) throw new Error(`sshd -t rejected ${cfg}: ${stderr}`);
    await writeFile(cfg, `${lines.filter((l) => !l.startsWith('PerSourcePenalties')).join('\n')}\n`);
    await run(SSHD, ['-t', '-f', cfg]);
  }
}

/** A port nothing listens on right now (the kernel's pick, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, gone: () => boolean): Promise<boolean> {
  const until = Date.now() + 10_000;
  while (Date.now() < until && !gone()) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** PIDs whose parent is `pid` (sshd's per-connection processes). */
async function childPids(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) found.push(Number(entry));
  }
  return found;
}

async function stopPid(pid: number, exited: () => boolean): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && !exited(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!exited()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** SIGKILL to a process that may have ended since it was listed (ESRCH is then the answer, not an error). */
function killIfThere(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
