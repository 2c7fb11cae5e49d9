import { constants } from 'node:os';
import { HostArgumentError } from './ssh-errors.js';
import { checkCommandName, envAssignments, shellJoin, shellQuote } from './ssh-shell-quote.js';

/**
 * The shell text SshHost sends. sshd hands it to the login shell (`$SHELL -c`), which must be a
 * POSIX sh. Every value is quoted by shellQuote; nothing from a caller is ever pasted unquoted.
 *
 * Each script first reports its shell's PID on stderr (`dbfleet-pid:N`): sshd starts the shell
 * as a session and process-group leader, and `exec` keeps that PID for the command, so on a
 * timeout the whole group can be killed from a second channel.
 */
export const PID_MARKER = 'dbfleet-pid:';
/** Printed instead of running a command that is not on the remote PATH (exit status 127). */
export const MISSING_MARKER = 'dbfleet-missing:';

const REPORT_PID = `printf '${PID_MARKER}%s\\n' "$$" >&2`;

export interface CommandPlace {
  cwd?: string;
  env?: Record<string, string>;
}

/** Runs an argv in place of the shell (same PID), with cwd and env. */
export function runScript(command: string, args: readonly string[], place: CommandPlace): string {
  checkCommandName(command);
  const env = envAssignments(place.env);
  const argv = env.length > 0 ? ['env', '--', ...env, command, ...args] : [command, ...args];
  return lines(REPORT_PID, changeDirectory(place.cwd), requireCommand(command), `exec ${shellJoin(argv)}`);
}

/**
 * Starts an argv in a new session (setsid) with stdin from /dev/null and output appended to the
 * log, in the background, and prints its PID: nothing ties it to the SSH session, which can end.
 * A background job of a non-interactive shell is not a group leader, so setsid(1) does not fork
 * and the printed PID is the command's own.
 */
export function detachedScript(command: string, args: readonly string[], place: CommandPlace & { logFile: string }): string {
  checkCommandName(command);
  const env = envAssignments(place.env);
  const log = shellQuote(place.logFile);
  const argv = [...(env.length > 0 ? ['env', '--', ...env] : []), 'setsid', command, ...args];
  return lines(
    REPORT_PID,
    changeDirectory(place.cwd),
    requireCommand('setsid'),
    requireCommand(command),
    `mkdir -p -- ${shellQuote(parentDirectory(place.logFile))} && (umask 077 && : >> ${log}) || exit 1`,
    `${shellJoin(argv)} >> ${log} 2>&1 < /dev/null &`,
    `printf '%s\\n' "$!"`,
  );
}

/** SIGKILLs a process group and its leader; used after a timeout, so it never fails. */
export function killGroupScript(pid: number): string {
  const p = checkPid(pid);
  return `kill -s KILL -- -${p} 2>/dev/null; kill -s KILL ${p} 2>/dev/null; true`;
}

/** Exit 0 when the process exists and is not a zombie, 1 otherwise. */
export function isAliveScript(pid: number): string {
  return lines(REPORT_PID, exitUnlessAlive(checkPid(pid), 1), 'exit 0');
}

/**
 * Exit 0 when signalled, 3 when there is no such process (or only its zombie, which isAlive
 * also calls dead), 2 (stderr says why) otherwise.
 */
export function killScript(pid: number, signal: string): string {
  const p = checkPid(pid);
  const name = signalName(signal);
  return lines(REPORT_PID, exitUnlessAlive(p, 3), `kill -s ${name} ${p} 2>/dev/null && exit 0`, `[ -d /proc/${p} ] || exit 3`, `kill -s ${name} ${p}`, `exit 2`);
}

/** Exits with `code` unless the process exists and is not a zombie (from /proc, else kill -0). */
function exitUnlessAlive(p: number, code: number): string {
  return lines(
    `if [ -r /proc/${p}/stat ]; then`,
    `  { read -r s < /proc/${p}/stat; } 2>/dev/null || exit ${code}`,
    `  s=\${s##*')' }`,
    `  case $s in Z*|X*) exit ${code} ;; esac`,
    `else`,
    `  kill -0 ${p} 2>/dev/null || exit ${code}`,
    `fi`,
  );
}

/** Content arrives on stdin into a private temp file, which gets its mode and is renamed. */
export function writeFileScript(path: string, temp: string, mode: number): string {
  const t = shellQuote(temp);
  return lines(REPORT_PID, `(umask 077 && cat > ${t}) && chmod ${octalMode(mode)} -- ${t} && mv -f -- ${t} ${shellQuote(path)} || { rm -f -- ${t}; exit 1; }`);
}

export function readFileScript(path: string): string {
  return lines(REPORT_PID, `exec cat -- ${shellQuote(path)}`);
}

/** Exit 0 when the path exists (symlinks followed, as fs.access does), 1 when not. */
export function existsScript(path: string): string {
  return lines(REPORT_PID, `[ -e ${shellQuote(path)} ]`);
}

export function mkdirScript(path: string, mode: number): string {
  return lines(REPORT_PID, `exec mkdir -p -m ${octalMode(mode)} -- ${shellQuote(path)}`);
}

export function removeScript(path: string): string {
  return lines(REPORT_PID, `exec rm -rf -- ${shellQuote(path)}`);
}

const SEARCH_PATH = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Prints the absolute path of an executable on PATH or in the usual sbin/bin dirs; exit 1 if none. */
export function whichScript(command: string): string {
  const c = shellQuote(command);
  return lines(
    REPORT_PID,
    `p=$(command -v -- ${c} 2>/dev/null) && case $p in /*) printf '%s\\n' "$p"; exit 0 ;; esac`,
    `for d in ${SEARCH_PATH.join(' ')}; do`,
    `  if [ -f "$d/"${c} ] && [ -x "$d/"${c} ]; then printf '%s\\n' "$d/"${c}; exit 0; fi`,
    `done`,
    `exit 1`,
  );
}

/** A signal name as kill -s takes it (TERM), refusing anything Node does not know. */
export function signalName(signal: string): string {
  if (!/^SIG[A-Z0-9]+$/.test(signal) || !(signal in constants.signals)) throw new HostArgumentError(`${JSON.stringify(signal)} is not a signal name (SIGTERM, SIGKILL, …)`);
  return signal.slice(3);
}

/** A PID that is safe to put after kill: 0, negative and non-integer values would hit groups or everything. */
export function checkPid(pid: number): number {
  if (!Number.isSafeInteger(pid) || pid < 2) throw new HostArgumentError(`${pid} is not a process id this host will signal (an integer >= 2)`);
  return pid;
}

function octalMode(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new HostArgumentError(`file mode ${mode} is not between 0 and 0o7777`);
  return `0${mode.toString(8)}`;
}

function changeDirectory(cwd: string | undefined): string | undefined {
  return cwd === undefined ? undefined : `cd -- ${shellQuote(cwd)} || exit 1`;
}

function requireCommand(command: string): string {
  const c = shellQuote(command);
  return `command -v -- ${c} >/dev/null 2>&1 || { printf '%s%s\\n' '${MISSING_MARKER}' ${c} >&2; exit 127; }`;
}

function parentDirectory(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : path.slice(0, i);
}

function lines(...parts: Array<string | undefined>): string {
  return parts.filter((p): p is string => p !== undefined).join('\n');
}
