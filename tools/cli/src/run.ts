/**
 * The whole CLI as a function: a command line and an `Io` in, an exit code out. Help goes
 * to stdout (exit 0); every failure becomes one line on stderr and its exit code.
 */
import { parseCommandLine } from './args/command-line.ts';
import type { ConnectionSettings } from './connection.ts';
import { describeFailure } from './error-report.ts';
import { UsageError } from './errors.ts';
import { ExitCode, type ExitCodeValue } from './exit-codes.ts';
import { resolveBrokers } from './input/brokers.ts';
import { parseDuration } from './input/duration.ts';
import type { Io } from './io.ts';
import { timeoutMsDefault, timeoutMsMax } from './limits.ts';
import { Output } from './output.ts';

/** Points a usage error at the help that explains it (the running command's by default). */
function helpHint(error: unknown, command: string | undefined): string {
  if (!(error instanceof UsageError)) return '';
  const where = error.helpFor ?? command;
  if (where === undefined) return '';
  return ` (see 'tributary ${where === '' ? '' : `${where} `}--help')`;
}

function debugWanted(env: Io['env']): boolean {
  const value = env.TRIBUTARY_DEBUG;
  return value !== undefined && value !== '' && value !== '0';
}

export async function run(argv: readonly string[], io: Io): Promise<ExitCodeValue> {
  const out = new Output(io);
  const debug = debugWanted(io.env);
  let timeoutMs = timeoutMsDefault;
  let command: string | undefined;
  try {
    const line = parseCommandLine(argv);
    if (line.kind === 'help') {
      await out.print(line.text);
      return ExitCode.ok;
    }
    command = line.args.where;
    if (line.timeout !== undefined)
      timeoutMs = parseDuration(line.timeout, '--timeout', timeoutMsMax);
    const settings: ConnectionSettings = {
      brokers: resolveBrokers(line.brokers, io.env),
      timeoutMs,
      debug,
    };
    return await line.command.run({ args: line.args, io, out, settings });
  } catch (error) {
    const failure = describeFailure(error, { timeoutMs });
    out.clearProgress();
    const prefix = out.errorStyle.red('tributary:');
    io.stderr.write(`${prefix} ${failure.message}${helpHint(error, command)}\n`);
    if (debug && failure.stack !== undefined) io.stderr.write(`${failure.stack}\n`);
    return failure.exitCode;
  }
}
