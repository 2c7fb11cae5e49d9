import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Formats one pino JSON line as `HH:MM:SS.mmm LEVEL message key=value …` for a terminal. */
export function formatLogLine(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { time, level, msg, ...rest } = rec;
  const t = typeof time === 'string' ? time.slice(11, 23) : '';
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${fields ? `  ${fields}` : ''}`;
}

/** A pino destination that pretty-prints to a terminal (stderr by default). */
export function prettyStream(out: NodeJS.WritableStream = process.stderr): Writable {
  let buffered = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        out.write(`${formatLogLine(buffered.slice(0, nl))}\n`);
        buffered = buffered.slice(nl + 1);
      }
      cb();
    },
  });
}
