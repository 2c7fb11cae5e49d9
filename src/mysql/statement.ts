/**
 * One SQL statement as the dialects build it. Dialects are pure: they return statements, the
 * admin runs them. A statement that carries a password inlines it (CHANGE MASTER accepts no
 * placeholders on every server) and lists it in `secrets`, so that the session can scrub it from
 * errors; `redacted` is the only text of it that may reach a log or an error.
 */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
  /** The statement with every secret masked; equal to `sql` when there is none. */
  readonly redacted: string;
  readonly secrets: readonly string[];
}

export const MASK = '***';

export function statement(sql: string, params: readonly unknown[] = []): Statement {
  return { sql, params, redacted: sql, secrets: [] };
}

/** A statement whose text holds secrets: `redacted` is built by the caller with MASK in their place. */
export function secretStatement(sql: string, redacted: string, secrets: readonly string[]): Statement {
  return { sql, params: [], redacted, secrets: secrets.filter((s) => s.length > 0) };
}
