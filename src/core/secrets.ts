import { readFile, stat } from 'node:fs/promises';
import { ConfigError } from './errors.js';

export interface SecretSource {
  password_env?: string | undefined;
  password_file?: string | undefined;
}

/**
 * Resolves a password from an environment variable or a 0600 file. `env` is passed in by the CLI
 * layer: nothing below it reads process.env. Returns undefined when no source is configured.
 */
export async function resolvePassword(
  source: SecretSource,
  env: Readonly<Record<string, string | undefined>>,
  field: string,
): Promise<string | undefined> {
  if (source.password_env) {
    const v = env[source.password_env];
    if (v === undefined) {
      throw new ConfigError(`${field}.password_env names ${source.password_env}, which is not set`, {
        next: `export ${source.password_env} before running dbfleet`,
      });
    }
    return v;
  }
  if (source.password_file) {
    const file = source.password_file;
    let mode: number;
    try {
      mode = (await stat(file)).mode;
    } catch (e) {
      throw new ConfigError(`${field}.password_file ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? e}`, { cause: e });
    }
    if ((mode & 0o077) !== 0) {
      throw new ConfigError(`${field}.password_file ${file} is readable by others (mode ${(mode & 0o777).toString(8)})`, {
        next: `chmod 600 ${file}`,
      });
    }
    return (await readFile(file, 'utf8')).trim();
  }
  return undefined;
}
