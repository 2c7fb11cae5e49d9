import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';

/** Figures by name; one engine's under its name (metrics.mysql.<name>, see engines.ts). */
export type Figures<T> = Record<string, T | Record<string, T>>;

export interface BenchResult {
  /** What the figures compare against (a baseline, a target, a seed measurement). */
  compared_against: string;
  /** Headline figures, named as the issues ask (e.g. commit_to_answer_ms_p50). */
  metrics: Figures<number>;
  /** Targets the metrics are judged by, e.g. { detect_to_dns_ms_p50: '< 300' }. */
  targets?: Record<string, string>;
  /** How many repetitions the medians and maxima come from. */
  runs: number;
  /** Raw samples, so anyone can recompute the figures. */
  samples?: Figures<number[]>;
  notes?: string[];
}

function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return 'unknown';
  }
}

/** Writes bench/results/<name>.json with the machine and git revision, and prints a short table. */
export function writeResult(name: string, result: BenchResult): string {
  const doc = {
    name,
    date: new Date().toISOString(),
    git_revision: gitRevision(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}`, node: process.version },
    ...result,
  };
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  const flat = Object.entries(result.metrics).flatMap(([k, v]): [string, string, number][] =>
    typeof v === 'number' ? [[k, k, v]] : Object.entries(v).map(([k2, v2]): [string, string, number] => [`${k}.${k2}`, k2, v2]),
  );
  const width = Math.max(...flat.map(([k]) => k.length));
  process.stdout.write(`\n${name} (${result.runs} runs; vs ${result.compared_against})\n`);
  for (const [k, bare, v] of flat) {
    const t = result.targets?.[k] ?? result.targets?.[bare];
    process.stdout.write(`  ${k.padEnd(width)}  ${v}${t ? `   target ${t}` : ''}\n`);
  }
  process.stdout.write(`  -> ${file}\n`);
  return file;
}
