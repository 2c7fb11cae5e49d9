/**
 * One error base for the whole project. Every error has a stable `code`, says whose fault it is,
 * whether a retry can help, and what the operator should do next. Adapters translate driver and
 * SDK errors into these at the boundary.
 */
export type Fault = 'operator' | 'remote' | 'bug' | 'safety';

export interface DbfleetErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** What the operator should do next, in one sentence. */
  next?: string;
  details?: Record<string, unknown>;
}

export abstract class DbfleetError extends Error {
  abstract readonly code: string;
  abstract readonly fault: Fault;
  readonly retryable: boolean;
  readonly next: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.next = options.next;
    this.details = options.details ?? {};
  }

  /** The message an operator reads: what happened, then what to do next. */
  describe(): string {
    return this.next ? `${this.message}\n  next: ${this.next}` : this.message;
  }

  /** CLI exit code: 2 for bad usage or config, 1 for everything else. */
  get cliExitCode(): 1 | 2 {
    return this.fault === 'operator' ? 2 : 1;
  }
}

/** Thrown when a command-line argument or option is malformed. */
export class UsageError extends DbfleetError {
  readonly code = 'USAGE';
  readonly fault = 'operator' as const;
}

/** Thrown when a config file is missing, unreadable or fails the schema; names the field. */
export class ConfigError extends DbfleetError {
  readonly code = 'CONFIG';
  readonly fault = 'operator' as const;
}

/** Thrown when a required program (mariadbd, pdns_server, …) is not installed. */
export class MissingDependencyError extends DbfleetError {
  readonly code = 'MISSING_DEPENDENCY';
  readonly fault = 'operator' as const;
}

/** Thrown when an operation did not finish within its deadline. */
export class TimeoutError extends DbfleetError {
  readonly code = 'TIMEOUT';
  readonly fault = 'remote' as const;
  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super(message, { retryable: true, ...options });
  }
}

/** Thrown when an operation was cancelled through its AbortSignal. */
export class AbortedError extends DbfleetError {
  readonly code = 'ABORTED';
  readonly fault = 'operator' as const;
}

/** Thrown when a remote system (a MySQL server, a host, DNS) failed or refused a request. */
export class RemoteError extends DbfleetError {
  readonly code: string;
  readonly fault = 'remote' as const;
  constructor(code: string, message: string, options: DbfleetErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown when a precondition for a dangerous step does not hold, so dbfleet refuses to act. */
export class SafetyRefusal extends DbfleetError {
  readonly code: string;
  readonly fault = 'safety' as const;
  constructor(code: string, message: string, options: DbfleetErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown when local state (a sandbox dir, a journal) conflicts with what was asked. */
export class StateError extends DbfleetError {
  readonly code: string;
  readonly fault = 'operator' as const;
  constructor(code: string, message: string, options: DbfleetErrorOptions = {}) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown when dbfleet itself is wrong: an impossible state was reached. */
export class BugError extends DbfleetError {
  readonly code = 'BUG';
  readonly fault = 'bug' as const;
}

export function isDbfleetError(e: unknown): e is DbfleetError {
  return e instanceof DbfleetError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
