import { DbfleetError, type DbfleetErrorOptions } from '../../core/errors.js';

/**
 * Thrown when no plan can satisfy a well-formed inventory: a shard too big for every host type,
 * fewer AZs than a strict spread needs, a subnet too small for the processes. Names the shards
 * and the reason. The input is valid but asks for the impossible, so the command failed (exit 1)
 * rather than being misused (exit 2).
 */
export class PlanInfeasibleError extends DbfleetError {
  readonly code = 'PLAN_INFEASIBLE';
  readonly fault = 'operator' as const;

  constructor(message: string, options: DbfleetErrorOptions = {}) {
    super(message, options);
  }

  override get cliExitCode(): 1 | 2 {
    return 1;
  }
}
