import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Host } from '../host/host.js';

/** The users every sandbox instance has (made once in the template datadir). */
export interface SandboxPasswords {
  /** 'dbfleet'@'%': the admin user dbfleet itself connects as. */
  dbfleet: string;
  /** 'repl'@'%': replication only. */
  repl: string;
  /** 'app'@'%': DML-only on the app schema, so read_only really stops its writes. */
  app: string;
}

export const APP_DATABASE = 'app';
export const MYDNS_DATABASE = 'mydns';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 24 characters from an alphabet that needs no quoting in SQL or YAML. */
export function newPassword(): string {
  const bytes = randomBytes(24);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

export function secretsDir(dir: string): string {
  return join(dir, 'secrets');
}

export function passwordFile(dir: string, user: keyof SandboxPasswords): string {
  return join(secretsDir(dir), `${user}.password`);
}

/** Writes each password to D/secrets/<user>.password, mode 0600, in a 0700 directory. */
export async function writePasswords(host: Host, dir: string, passwords: SandboxPasswords): Promise<void> {
  await host.mkdir(secretsDir(dir), 0o700);
  for (const user of Object.keys(passwords) as (keyof SandboxPasswords)[]) {
    await host.writeFile(passwordFile(dir, user), `${passwords[user]}\n`, 0o600);
  }
}

export async function readPasswords(host: Host, dir: string): Promise<SandboxPasswords> {
  const read = async (user: keyof SandboxPasswords): Promise<string> => (await host.readFile(passwordFile(dir, user))).trim();
  return { dbfleet: await read('dbfleet'), repl: await read('repl'), app: await read('app') };
}

/**
 * Users, grants and schemas for the template datadir. Passwords come from newPassword(), whose
 * alphabet needs no escaping; this SQL goes to mariadbd on stdin, never on a command line.
 */
export function bootstrapSql(p: SandboxPasswords): string {
  for (const v of Object.values(p)) if (!/^[A-Za-z0-9]+$/.test(v)) throw new Error('sandbox passwords must be alphanumeric');
  return [
    `CREATE DATABASE ${APP_DATABASE};`,
    `CREATE TABLE ${APP_DATABASE}.writes (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, client VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), UNIQUE KEY client_seq (client, seq)) ENGINE=InnoDB;`,
    `CREATE DATABASE ${MYDNS_DATABASE};`,
    `CREATE USER 'dbfleet'@'%' IDENTIFIED BY '${p.dbfleet}';`,
    `GRANT ALL PRIVILEGES ON *.* TO 'dbfleet'@'%' WITH GRANT OPTION;`,
    `CREATE USER 'repl'@'%' IDENTIFIED BY '${p.repl}';`,
    `GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'%';`,
    `CREATE USER 'app'@'%' IDENTIFIED BY '${p.app}';`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ${APP_DATABASE}.* TO 'app'@'%';`,
  ].join('\n');
}
