import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One benchmark's result: a titled markdown section. */
export interface BenchResult {
  /** Stable id; the section in docs/benchmarks.md is replaced by id. */
  id: string;
  title: string;
  /** Markdown body: a table and a line on what was measured. */
  body: string;
}

export interface Bench {
  id: string;
  /** Runs only when named (`npm run bench -- <id>`), e.g. a 30-minute soak. */
  onlyWhenNamed?: boolean;
  run(): Promise<BenchResult>;
}

/** Median of `repeats` timings (ms) of `fn`, after `warmup` untimed calls. */
export async function timeMedian(
  fn: () => unknown | Promise<unknown>,
  repeats = 7,
  warmup = 2,
): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** CPU ms (user + sys) of this process's finished, waited-for children (cutime + cstime). */
export function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 (cutime, cstime) counted from 1; this list starts at field 3. 100 Hz ticks.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}
