import { DbfleetError, type DbfleetErrorOptions } from '../../core/errors.js';

/**
 * Thrown inside a DNS write transaction when this checker no longer holds the lease (it expired
 * while the process was paused, or another checker took over). The transaction rolls back.
 */
export class LeaseLostError extends DbfleetError {
  readonly code = 'LEASE_LOST';
  readonly fault = 'safety' as const;
  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super(message, { next: 'nothing to do: the active checker will make the change; this one keeps probing as a standby', ...options });
  }
}
