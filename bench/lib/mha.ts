/**
 * MHA 0.58 (Debian's mha4mysql-manager / mha4mysql-node) for the side-by-side switchover
 * benchmark: installing it, a private copy of the two modules it needs patched to run here, its
 * configuration in a 0600 file, the minimal online-change script that gives it its best case,
 * and one `masterha_master_switch --master_state=alive` run.
 *
 * Nothing under /usr is edited: the patched modules are copies in a temporary directory that is
 * put first on PERL5LIB for MHA's own process only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MHA_PACKAGES = ['mha4mysql-manager', 'mha4mysql-node'] as const;
export const MHA_INSTALL_COMMAND = `apt-get install -y ${MHA_PACKAGES.join(' ')}`;
const SYSTEM_MHA_DIR = '/usr/share/perl5/MHA';

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** The installed version of a Debian package ("0.58-1.1"), or undefined. */
export function packageVersion(name: string): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', name], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

/**
 * Installs MHA from Debian when masterha_master_switch is missing (non-interactive apt-get).
 * Throws with the exact command to run when that fails.
 */
export function ensureMha(log: (line: string) => void): { manager: string; node: string } {
  if (!onPath('masterha_master_switch')) {
    log(`MHA is not installed: running ${MHA_INSTALL_COMMAND}`);
    const r = spawnSync('apt-get', ['install', '-y', ...MHA_PACKAGES], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0 || !onPath('masterha_master_switch')) {
      throw new Error(`could not install MHA (apt-get exit ${r.status ?? r.signal}); run as root: DEBIAN_FRONTEND=noninteractive ${MHA_INSTALL_COMMAND}`);
    }
  }
  const manager = packageVersion('mha4mysql-manager');
  const node = packageVersion('mha4mysql-node');
  if (!manager || !node) throw new Error(`masterha_master_switch is on PATH but the Debian packages are not both installed; run: ${MHA_INSTALL_COMMAND}`);
  return { manager, node };
}

/** One textual patch of a module copy: `from` must occur exactly `count` times. */
interface Patch {
  from: string;
  to: string;
  count: number;
  why: string;
}

/**
 * NodeUtil.pm line 195: `sprintf('%03d%03d%03d', $str =~ m/(\d+)/g)` hands every number of
 * "10.11.14-MariaDB-0+deb12u2-log" to a 3-field sprintf, and `use warnings FATAL` turns the
 * "Redundant argument in sprintf" warning into death. The copy uses the first three numbers
 * (the major-version parse, the same bug with two fields, the first two).
 */
const NODE_UTIL_PATCHES: Patch[] = [
  { from: "sprintf( '%03d%03d%03d', $str =~ m/(\\d+)/g )", to: "sprintf( '%03d%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 2 ] )", count: 1, why: 'version parse: first three numbers only' },
  { from: "sprintf( '%03d%03d', $str =~ m/(\\d+)/g )", to: "sprintf( '%03d%03d', ( $str =~ m/(\\d+)/g )[ 0 .. 1 ] )", count: 1, why: 'major version parse: first two numbers only' },
];

/**
 * MasterRotate.pm appends `--orig_master_password=... --new_master_password=...` to the
 * online-change script's command line (it logs them as xxx, but they are in the argv of the
 * `sh -c` and of the script). Passwords never go into process arguments here: the copy leaves
 * them off (string building only, no effect on timing), and the script reads its credentials from
 * a 0600 option file instead.
 */
const MASTER_ROTATE_PATCHES: Patch[] = [
  {
    from: '    $command .=\n" --orig_master_password=$orig_master->{escaped_password} --new_master_password=$new_master->{escaped_password}";\n',
    to: '    # dbfleet bench: passwords left off the script command line (the script reads a 0600 option file)\n',
    count: 2,
    why: 'passwords not passed to the online-change script in argv',
  },
];

function applyPatches(text: string, patches: readonly Patch[], file: string): string {
  let out = text;
  for (const p of patches) {
    const n = out.split(p.from).length - 1;
    if (n !== p.count) throw new Error(`${file}: expected ${p.count} occurrence(s) of the text to patch (${p.why}), found ${n}: not the MHA 0.58 this benchmark knows`);
    out = out.split(p.from).join(p.to);
  }
  return out;
}

/**
 * Copies NodeUtil.pm and MasterRotate.pm into `<dir>/MHA/`, patched; returns the directory to put
 * first on PERL5LIB and a description of each patch for the result notes.
 */
export async function patchedMhaLib(dir: string): Promise<{ perl5lib: string; patches: string[] }> {
  const mhaDir = join(dir, 'MHA');
  await mkdir(mhaDir, { recursive: true, mode: 0o700 });
  const done: string[] = [];
  for (const [name, patches] of [['NodeUtil.pm', NODE_UTIL_PATCHES], ['MasterRotate.pm', MASTER_ROTATE_PATCHES]] as const) {
    const src = join(SYSTEM_MHA_DIR, name);
    const dst = join(mhaDir, name);
    await copyFile(src, dst);
    await writeFile(dst, applyPatches(await readFile(dst, 'utf8'), patches, src));
    for (const p of patches) done.push(`${name}: ${p.why}`);
  }
  // the copies must compile and be the ones perl loads
  const check = spawnSync('perl', ['-MMHA::NodeUtil', '-MMHA::MasterRotate', '-e', 'print $INC{"MHA/NodeUtil.pm"}, "\\n", $INC{"MHA/MasterRotate.pm"}'], { encoding: 'utf8', env: { ...process.env, PERL5LIB: dir } });
  const loaded = check.stdout.trim().split('\n');
  if (check.status !== 0 || loaded.some((f) => !f.startsWith(dir))) throw new Error(`the patched MHA modules in ${dir} do not load first: ${check.stderr.trim() || loaded.join(', ')}`);
  return { perl5lib: dir, patches: done };
}

export interface MhaServer {
  id: string;
  host: string;
  port: number;
}

export interface MhaSetup {
  /** Temporary directory for everything MHA-related (removed by the caller). */
  dir: string;
  servers: readonly MhaServer[];
  admin: { user: string; password: string };
  repl: { user: string; password: string };
  /** The command-line client the online-change script runs (mariadb). */
  client: string;
}

export interface MhaFiles {
  conf: string;
  clientCnf: string;
  script: string;
  workdir: string;
}

const SAFE = /^[A-Za-z0-9._@%/-]+$/;
const safe = (v: string, what: string): string => {
  if (!SAFE.test(v)) throw new Error(`${what} ${JSON.stringify(v)} has characters this benchmark will not write into MHA's files`);
  return v;
};

/**
 * Writes MHA's configuration (0600: it holds the admin and replication passwords), the client
 * option file the online-change script connects with (0600) and the script itself.
 *
 * The script is MHA's best case: on `--command=stop` / `stopssh` it sets read_only=1 on the orig
 * master and nothing else (no connection killing, no VIP, no sleep); on `start` it does nothing
 * (MHA itself sets read_only=0 on the new master right after it). A /bin/sh script with one
 * client call is the cheapest process MHA can fork for it.
 */
export async function writeMhaFiles(s: MhaSetup): Promise<MhaFiles> {
  const workdir = join(s.dir, 'work');
  await mkdir(workdir, { recursive: true, mode: 0o700 });
  const clientCnf = join(s.dir, 'script-client.cnf');
  await writeFile(clientCnf, `[client]\nuser=${safe(s.admin.user, 'user')}\npassword=${safe(s.admin.password, 'password')}\nconnect-timeout=2\n`, { mode: 0o600 });
  const script = join(s.dir, 'master_ip_online_change');
  await writeFile(
    script,
    [
      '#!/bin/sh',
      '# dbfleet bench: the minimal master_ip_online_change_script (MHA best case).',
      'command=""; host=""; port=""',
      'for a in "$@"; do',
      '  case "$a" in',
      '    --command=*) command="${a#--command=}" ;;',
      '    --orig_master_ip=*) host="${a#--orig_master_ip=}" ;;',
      '    --orig_master_port=*) port="${a#--orig_master_port=}" ;;',
      '  esac',
      'done',
      'case "$command" in',
      `  stop|stopssh) exec ${safe(s.client, 'client')} --defaults-extra-file=${safe(clientCnf, 'path')} --host="$host" --port="$port" --batch --skip-column-names -e 'SET GLOBAL read_only = 1' ;;`,
      '  *) exit 0 ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  await chmod(script, 0o700);
  const conf = join(s.dir, 'mha.cnf');
  const lines = [
    '[server default]',
    `user=${safe(s.admin.user, 'user')}`,
    `password=${safe(s.admin.password, 'password')}`,
    `repl_user=${safe(s.repl.user, 'repl user')}`,
    `repl_password=${safe(s.repl.password, 'repl password')}`,
    `manager_workdir=${safe(workdir, 'path')}`,
    `remote_workdir=${safe(workdir, 'path')}`,
    `master_ip_online_change_script=${safe(script, 'path')}`,
    '',
    ...s.servers.flatMap((v, i) => [`[server${i + 1}]`, `hostname=${safe(v.host, 'host')}`, `port=${v.port}`, 'candidate_master=1', '']),
  ];
  await writeFile(conf, lines.join('\n'), { mode: 0o600 });
  return { conf, clientCnf, script, workdir };
}

export interface MhaRun {
  exitCode: number;
  /** Wall time of the whole masterha_master_switch process, ms. */
  ms: number;
  output: string;
}

/**
 * What an MHA run's output must show for the benchmark to count it: the online-change script ran
 * to stop writes and to allow them, MHA locked the orig master's tables (its default) and the
 * switch completed. Returns the missing ones (empty: the run is the one this benchmark measures).
 */
export function mhaRunProblems(output: string, to: MhaServer): string[] {
  const want: [RegExp, string][] = [
    [/Executing master ip online change script to disable write on the current master/, 'the online-change script was not run with --command=stop'],
    [/Executing FLUSH TABLES WITH READ LOCK/, 'MHA did not lock the orig master\'s tables'],
    [/Executing master ip online change script to allow write on the new master/, 'the online-change script was not run with --command=start'],
    [new RegExp(`Switching master to ${to.host.replace(/\./g, '\\.')}\\(${to.host.replace(/\./g, '\\.')}:${to.port}\\) completed successfully`), `MHA did not report the switch to ${to.host}:${to.port} completed`],
  ];
  return want.filter(([re]) => !re.test(output)).map(([, why]) => why);
}

/** One online switch to `to`, non-interactive; output kept for the failure message. */
export function mhaSwitch(files: MhaFiles, perl5lib: string, to: MhaServer, timeoutMs = 60_000): Promise<MhaRun> {
  const args = ['--master_state=alive', '--orig_master_is_new_slave', '--interactive=0', `--conf=${files.conf}`, `--new_master_host=${to.host}`, `--new_master_port=${to.port}`];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('masterha_master_switch', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERL5LIB: perl5lib } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), ms: Math.round((performance.now() - t0) * 10) / 10, output });
    });
  });
}
