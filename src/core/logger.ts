import { pino, type Logger, type DestinationStream } from 'pino';
import { prettyStream } from './pretty-log-stream.js';

export type { Logger };

/** Field paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  'pass',
  'secret',
  'token',
  '*.password',
  '*.pass',
  '*.secret',
  '*.token',
  '*.*.password',
  'dsn',
  '*.dsn',
  'config.dns.password',
];

const DSN_PASSWORD = /(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g;

/** Removes the password from any `scheme://user:password@host` found in a string. */
export function redactDsn(text: string): string {
  return text.replace(DSN_PASSWORD, '$1***@');
}

export interface LoggerOptions {
  level?: string;
  /** Where log lines go; stderr by default, so that stdout stays for --json output. */
  destination?: DestinationStream;
  /** Human-readable lines instead of JSON (the CLI turns this on when stderr is a terminal). */
  pretty?: boolean;
}

/**
 * The project's logger: pino JSON on stderr, secrets redacted by path, DSN passwords scrubbed from
 * every message.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactDsn(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
    },
    options.destination ?? (options.pretty ? prettyStream() : pino.destination({ fd: 2, sync: true })),
  );
}

/** A logger that drops everything (for library callers that pass none). */
export const silentLogger: Logger = pino({ level: 'silent' });
