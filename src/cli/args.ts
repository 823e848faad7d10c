/**
 * Command-line arguments: node's util.parseArgs in strict mode, plus value
 * checks that collect every problem into one UsageError (exit status 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit statuses of the commands. */
export const EXIT_OK = 0;
/** The command failed: unreadable file, locked data directory, server error... */
export const EXIT_FAILED = 1;
/** Unknown flags or bad values; nothing was done. */
export const EXIT_USAGE = 2;
/** `import` ran, but rejected some lines (or stopped at one with --strict). */
export const EXIT_REJECTED = 3;
/** Stopped by SIGINT (128 + 2, the shell convention). */
export const EXIT_INTERRUPTED = 130;

export const DEFAULT_DATA = './data';

/** Bad arguments: the message and the command's usage go to stderr, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure to report as one line without a stack: the message says what to do. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** Flags every command but `serve` takes: where the data is, and the output form. */
export const TARGET_OPTIONS = {
  data: { type: 'string' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export const TARGET_USAGE = `Where:
  --data DIR          local data directory (default $QUIVER_DATA or ${DEFAULT_DATA}); one process at a time
  --url URL           a running server instead (default $QUIVER_URL), e.g. http://127.0.0.1:8080
  --api-key KEY       the server's API key (default $QUIVER_API_KEY)
  --json              machine-readable output on stdout`;

export interface TargetFlags {
  data: string;
  url: string | undefined;
  apiKey: string | undefined;
}

/** Strict parsing: unknown flags, missing values and extra positionals are UsageErrors. */
export function parseCommand<O extends Options>(
  argv: readonly string[],
  options: O,
  positionals: { min: number; max: number; names: string },
): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's messages run over several lines and suggest '--' for positionals, which no command takes.
    const message = (error as Error).message.replace(/\s*\n\s*/g, ' ').replace(/ To specify a positional argument.*$/, '');
    throw new UsageError(message);
  }
  const count = parsed.positionals.length;
  if (!(parsed.values as { help?: boolean }).help && (count < positionals.min || count > positionals.max)) {
    throw new UsageError(
      count < positionals.min
        ? `expected ${positionals.names}`
        : `unexpected argument '${parsed.positionals[positionals.max]}' (expected ${positionals.names})`,
    );
  }
  return parsed;
}

/** --data/--url/--api-key with their environment fallbacks; --url wins over a defaulted --data. */
export function resolveTargetFlags(values: { data?: string; url?: string; 'api-key'?: string }, env: Record<string, string | undefined>): TargetFlags {
  if (values.data !== undefined && values.url !== undefined) throw new UsageError('give either --data or --url, not both');
  const url = values.data === undefined ? (values.url ?? (nonEmpty(env.QUIVER_URL))) : undefined;
  if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http:// or https:// URL, got '${url}'`);
  return {
    data: values.data ?? nonEmpty(env.QUIVER_DATA) ?? DEFAULT_DATA,
    url,
    apiKey: values['api-key'] ?? nonEmpty(env.QUIVER_API_KEY),
  };
}

/** Collects value problems so one UsageError lists them all. */
export class Checks {
  readonly problems: string[] = [];

  integer(value: string | undefined, flag: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`--${flag} must be an integer from ${min} to ${max}, got '${value}'`);
      return undefined;
    }
    return parsed;
  }

  number(value: string | undefined, flag: string, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed < min || parsed > max) {
      this.problems.push(`--${flag} must be a number from ${min} to ${max}, got '${value}'`);
      return undefined;
    }
    return parsed;
  }

  choice<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (!(choices as readonly string[]).includes(value)) {
      this.problems.push(`--${flag} must be one of ${choices.join(', ')}, got '${value}'`);
      return undefined;
    }
    return value as T;
  }

  json(value: string | undefined, flag: string, expected: 'object' | 'array'): unknown {
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      this.problems.push(`--${flag} is not valid JSON: ${(error as Error).message}`);
      return undefined;
    }
    const ok = expected === 'array' ? Array.isArray(parsed) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    if (!ok) {
      this.problems.push(`--${flag} must be a JSON ${expected}, got ${value.length > 40 ? `${value.slice(0, 37)}...` : value}`);
      return undefined;
    }
    return parsed;
  }

  nonEmpty(value: string | undefined, flag: string): string | undefined {
    if (value === '') this.problems.push(`--${flag} must not be empty`);
    return value === '' ? undefined : value;
  }

  require(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }

  /** Throws one UsageError listing every problem, if there were any. */
  done(): void {
    if (this.problems.length > 0) throw new UsageError(this.problems.join('; '));
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
