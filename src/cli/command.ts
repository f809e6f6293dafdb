import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { z } from 'zod';
import { FacecastError } from '../core/index.ts';

/** What a subcommand gets: its arguments, where to write, and the run's abort signal. */
export interface CommandContext {
  argv: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  signal: AbortSignal;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  interactive: boolean;
}

/** A subcommand; its name and one-line summary live in main.ts's table (it is loaded only when run). */
export interface Command {
  /** Full `--help` text. */
  usage: string;
  run(context: CommandContext): Promise<void>;
}

export class UsageError extends FacecastError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('USAGE', 'input', message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies Options;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O & typeof COMMON; allowPositionals: true; strict: true }>
>;

/**
 * `util.parseArgs` with facecast's conventions: `--help` and `--json` on every command,
 * unknown flags and wrong arities reported as {@link UsageError}.
 */
export function parseCommandArgs<const O extends Options>(
  argv: string[],
  options: O,
  positionals: { min: number; max: number },
): Parsed<O> {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, ...COMMON },
      allowPositionals: true,
      strict: true,
    }) as Parsed<O>;
    const count = parsed.positionals.length;
    const helpRequested = (parsed.values as { help?: boolean }).help === true;
    if (!helpRequested && (count < positionals.min || count > positionals.max)) {
      throw new UsageError(
        positionals.max === 0
          ? `unexpected argument "${parsed.positionals[0]}"`
          : `expected ${positionals.min === positionals.max ? positionals.min : `${positionals.min}–${positionals.max}`} argument(s), got ${count}`,
      );
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}

/**
 * Validates parsed flags with a zod schema, or throws a UsageError naming the first bad flag
 * (`--max-size: …`; schema keys in camelCase name their kebab-case flag).
 */
export function parseFlags<T>(schema: z.ZodType<T>, values: unknown): T {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  const flag =
    key === undefined ? '' : `--${String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: `;
  throw new UsageError(`${flag}${issue?.message ?? 'invalid flags'}`);
}

/** Parses a numeric flag, or throws a UsageError naming it. */
export function numberFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

export function writeJson(context: CommandContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
