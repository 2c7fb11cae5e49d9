/**
 * Running commands on a database host. The local implementation uses child processes; the ssh2
 * one (consolidator issue) runs the same calls on a remote host. Commands are an executable plus
 * an argument vector: nothing is ever run through a shell string built from input.
 */
export interface RunOptions {
  /** Hard deadline; the process is killed (SIGKILL) when it passes. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Written to the command's stdin, then stdin is closed. Use this for secrets, never argv. */
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  /** false: the command gets only `env`, not this process's environment (which may hold secrets). */
  inheritEnv?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface DetachedOptions {
  /** stdout and stderr of the process are appended here. */
  logFile: string;
  cwd?: string;
  env?: Record<string, string>;
}

export interface Host {
  /** A name for logs and errors, e.g. "local" or "db-17 (10.0.1.5)". */
  readonly name: string;
  /** Runs a command to completion; a non-zero exit is returned, not thrown. */
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
  /** Runs a command and throws HostCommandError (with exit code and stderr) if it exits non-zero. */
  check(command: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
  /** Starts a long-running process in its own session (setsid) and returns its PID at once. */
  spawnDetached(command: string, args: readonly string[], options: DetachedOptions): Promise<{ pid: number }>;
  /** True when a process with this PID exists (and is not a zombie). */
  isAlive(pid: number): Promise<boolean>;
  /** Sends a signal; returns false when the process does not exist. */
  kill(pid: number, signal: NodeJS.Signals): Promise<boolean>;
  readFile(path: string): Promise<string>;
  /** Writes atomically (temp file + rename) with the given mode. */
  writeFile(path: string, content: string, mode?: number): Promise<void>;
  exists(path: string): Promise<boolean>;
  mkdir(path: string, mode?: number): Promise<void>;
  /** Removes a file or directory tree; no error if it does not exist. */
  remove(path: string): Promise<void>;
  /** Finds an executable on PATH or in /usr/sbin, /usr/bin; undefined if absent. */
  which(command: string): Promise<string | undefined>;
}
