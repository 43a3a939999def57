/**
 * The CLI's own operating errors. A `UsageError` means the command line is wrong (exit 2);
 * an `OperationError` means the operation failed for a reason the user can act on (exit 1).
 * Both print as one line on stderr, never with a stack trace.
 */
import { ExitCode, type ExitCodeValue } from './exit-codes.ts';

export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;

  constructor(
    code: string,
    message: string,
    options: { exitCode: ExitCodeValue; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options.exitCode;
  }
}

/** The command line cannot be run as written; `helpFor` names the command whose help applies. */
export class UsageError extends CliError {
  readonly helpFor: string | undefined;

  constructor(message: string, helpFor?: string) {
    super('USAGE', message, { exitCode: ExitCode.usage });
    this.name = 'UsageError';
    this.helpFor = helpFor;
  }
}

/** The operation was attempted and failed in a way the user can understand and act on. */
export class OperationError extends CliError {
  constructor(message: string, cause?: unknown) {
    super('FAILED', message, { exitCode: ExitCode.failed, cause });
    this.name = 'OperationError';
  }
}

/** Programmer errors: a broken invariant. Stays on in production. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
