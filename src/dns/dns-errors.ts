import { DbfleetError, type DbfleetErrorOptions } from '../core/errors.js';

/**
 * Thrown when a record is not what the caller expected (compare-and-swap failed): someone else
 * changed it since it was read. Nothing was written; re-read and decide again.
 */
export class ConflictError extends DbfleetError {
  readonly code = 'DNS_CONFLICT';
  readonly fault = 'remote' as const;
  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super(message, { retryable: true, next: 're-read the records (dbfleet dns show NAME) and retry against what is there now', ...options });
  }
}

/** Thrown when a name, address, weight or TTL handed to the record store is malformed or out of range. */
export class InvalidRecordError extends DbfleetError {
  readonly code = 'DNS_INVALID_INPUT';
  readonly fault = 'operator' as const;
}

/** Thrown when a name (or an address under it) does not exist in the zone. */
export class UnknownNameError extends DbfleetError {
  readonly code = 'DNS_UNKNOWN_NAME';
  readonly fault = 'operator' as const;
}

/** Thrown when a change would break an invariant (a writer name with zero or two records). */
export class RecordInvariantError extends DbfleetError {
  readonly code = 'DNS_INVARIANT';
  readonly fault = 'safety' as const;
}

/** Thrown when the zone is not in the soa table (dbfleet dns init was not run for it). */
export class UnknownZoneError extends DbfleetError {
  readonly code = 'DNS_UNKNOWN_ZONE';
  readonly fault = 'operator' as const;
}
