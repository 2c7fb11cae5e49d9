import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { fleetConfigSchema, type FleetConfig } from './config-schema.js';

/** `clusters[0].instances[1].host` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** One line per problem, each naming the field. */
export function describeIssues(source: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${fieldPath(i.path)}: ${i.message}`);
  return `${source} is not a valid config:\n${lines.join('\n')}`;
}

/** Validates an already-parsed document against a schema, naming every bad field. */
export function validate<S extends z.ZodType>(schema: S, doc: unknown, source: string): z.output<S> {
  const result = schema.safeParse(doc);
  if (!result.success) {
    throw new ConfigError(describeIssues(source, result.error), {
      next: `fix the field(s) named above in ${source}; nothing was changed`,
    });
  }
  return deepFreeze(result.data) as z.output<S>;
}

/** Reads a YAML file and validates it; the result is frozen. */
export async function loadYaml<S extends z.ZodType>(schema: S, file: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      cause: e,
      next: 'pass the path of an existing, readable YAML file',
    });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  return validate(schema, doc, file);
}

export function loadFleetConfig(file: string): Promise<FleetConfig> {
  return loadYaml(fleetConfigSchema, file);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
