import { DbfleetError, type DbfleetErrorOptions } from '../core/errors.js';

/** Thrown when a command on a host exits non-zero; carries the exit code and stderr. */
export class HostCommandError extends DbfleetError {
  readonly code = 'HOST_COMMAND_FAILED';
  readonly fault = 'remote' as const;
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
    options: DbfleetErrorOptions = {},
  ) {
    super(`${command} on ${host} exited with ${exitCode}: ${stderr.trim().split('\n').slice(-5).join(' | ') || '(no stderr)'}`, options);
  }
}
