/**
 * Command-line flags for the benchmarks: node's `parseArgs`, strict, plus `--help`, and
 * numeric flags checked where they are read. A mistyped flag or a value that is not a
 * number ends the run at once with a one-line reason and the list of flags (exit code 2),
 * never a stack trace and never a run with NaN in it.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The exit code for a bad command line (as most Unix tools use). */
const usageExitCode = 2;

/** Parses `process.argv` against `options`; exits with a clear message on bad flags. */
export function benchArgs<const O extends OptionsConfig>(
  options: O,
  argv: readonly string[] = process.argv.slice(2),
): ReturnType<typeof parseArgs<{ options: O }>>['values'] {
  let values: FlagValues;
  try {
    values = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usageFailure(error instanceof Error ? error.message : String(error), options);
  }
  if (values.help === true) {
    process.stdout.write(usage(options));
    process.exit(0);
  }
  delete values.help;
  return values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
}

/** The flag's value as a finite number; exits with a clear message otherwise. */
export function numberArg(values: FlagValues, name: string): number {
  const raw = values[name];
  if (typeof raw !== 'string') return usageFailure(`--${name} needs a numeric value`);
  return parseNumber(name, raw);
}

/** A comma-separated list of numbers (`--groups 1,100`); exits with a clear message otherwise. */
export function numberListArg(values: FlagValues, name: string): number[] {
  const raw = values[name];
  if (typeof raw !== 'string') return usageFailure(`--${name} needs a comma-separated list`);
  return raw.split(',').map((item) => parseNumber(name, item));
}

function parseNumber(name: string, raw: string): number {
  const trimmed = raw.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value))
    return usageFailure(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

function usage(options: OptionsConfig | undefined): string {
  const script = process.argv[1] ?? 'bench';
  const lines = [`usage: npx tsx ${script} [flags]`, ''];
  for (const [name, option] of Object.entries(options ?? {})) {
    const shown = option.type === 'boolean' ? '' : ` <${option.default ?? 'value'}>`;
    lines.push(`  --${name}${shown}`);
  }
  lines.push('  --help', '');
  return lines.join('\n');
}

/** Ends the run for a bad command line: the reason on stderr, exit code 2. */
export function usageFailure(reason: string, options?: OptionsConfig): never {
  process.stderr.write(`error: ${reason}\n`);
  if (options) process.stderr.write(usage(options));
  else process.stderr.write('run with --help for the list of flags\n');
  process.exit(usageExitCode);
}
