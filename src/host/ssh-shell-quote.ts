import { HostArgumentError } from './ssh-errors.js';

/**
 * Quoting for the one command string an SSH exec request carries. The remote login shell (a POSIX
 * sh: dash, bash, ksh, zsh) parses it, so every word is single-quoted: inside single quotes
 * nothing is special except the quote itself, which becomes '\'' (close, escaped quote, reopen).
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new HostArgumentError(`an argument contains a NUL byte, which no command line can carry: ${JSON.stringify(word.slice(0, 40))}`);
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one shell command line, every word quoted. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env -- 'K=V' …` words for an environment, refusing names a shell or env(1) would misread. */
export function envAssignments(env: Record<string, string> | undefined): string[] {
  if (!env) return [];
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) throw new HostArgumentError(`environment variable name ${JSON.stringify(name)} is not a valid name ([A-Za-z_][A-Za-z0-9_]*)`);
    return `${name}=${value}`;
  });
}

/** Refuses a command word that a shell or env(1) would take for an option or an assignment. */
export function checkCommandName(command: string): void {
  if (command === '' || command.startsWith('-') || command.includes('=') || command.includes('\0')) {
    throw new HostArgumentError(`${JSON.stringify(command)} is not a runnable command name (empty, starts with '-', or contains '=' or NUL)`);
  }
}
