/**
 * Every failure becomes one line on stderr and an exit code. Our own errors say what to
 * fix; the client's typed errors are named in plain words with the client's message in
 * parentheses (it carries the protocol error name, which is what to search for). Only an
 * unexpected error (a bug) mentions a stack, and prints it only with TRIBUTARY_DEBUG=1.
 */
import { TributaryClientError, TributaryProtocolError } from '@tributary/client';
import { CliError } from './errors.ts';
import { ExitCode, type ExitCodeValue } from './exit-codes.ts';
import { formatDuration } from './input/duration.ts';

export interface Failure {
  readonly message: string;
  readonly exitCode: ExitCodeValue;
  /** The stack, for TRIBUTARY_DEBUG=1; only for unexpected errors. */
  readonly stack?: string;
}

interface Plain {
  readonly text: string;
  /** The request itself was invalid (as typed): a usage error rather than a failure. */
  readonly invalidInput?: boolean;
  /** Ctrl-C ended the operation before it finished. */
  readonly interrupted?: boolean;
}

const protocolErrors: Readonly<Record<string, Plain>> = {
  UNKNOWN_TOPIC_OR_PARTITION: { text: 'unknown topic or partition' },
  TOPIC_ALREADY_EXISTS: { text: 'topic already exists' },
  INVALID_TOPIC_EXCEPTION: {
    text: "invalid topic name (letters, digits, '.', '_', '-'; at most 249)",
    invalidInput: true,
  },
  INVALID_PARTITIONS: { text: 'invalid partition count', invalidInput: true },
  INVALID_REPLICATION_FACTOR: {
    text: 'invalid replication factor (at most the number of brokers)',
    invalidInput: true,
  },
  INVALID_CONFIG: { text: 'invalid topic config', invalidInput: true },
  INVALID_REQUEST: { text: 'the broker refused the request as invalid' },
  NON_EMPTY_GROUP: { text: 'the group has active members; stop its consumers first' },
  GROUP_ID_NOT_FOUND: { text: 'no such group' },
  NOT_ENOUGH_REPLICAS: { text: 'not enough replicas are alive to accept the write' },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { text: 'the write did not reach enough replicas in time' },
  OFFSET_OUT_OF_RANGE: { text: 'offset outside the log' },
  MESSAGE_TOO_LARGE: { text: 'record too large' },
  RECORD_LIST_TOO_LARGE: { text: 'request too large' },
  NOT_CONTROLLER: { text: 'the cluster has no controller leader' },
  LEADER_NOT_AVAILABLE: { text: 'a partition has no leader' },
  COORDINATOR_NOT_AVAILABLE: { text: 'the group has no coordinator' },
  UNSUPPORTED_VERSION: { text: 'the broker does not speak this version of the protocol' },
};

const clientErrors: Readonly<Record<string, Plain>> = {
  TIMEOUT: { text: 'the cluster did not answer in time' },
  REQUEST_TIMEOUT: { text: 'a broker did not answer in time' },
  CONNECTION_ERROR: { text: 'cannot reach a broker' },
  INVALID_ARGUMENT: { text: 'invalid argument', invalidInput: true },
  MALFORMED_RESPONSE: { text: 'a broker sent a malformed response' },
  CLIENT_CLOSED: { text: 'the connection was closed' },
  ABORTED: { text: 'interrupted', interrupted: true },
  ILLEGAL_STATE: { text: 'the client was used in a wrong state' },
};

const causeDepthMax = 5;

/**
 * The most telling reason in an error's cause chain: the deepest cause, or the one just
 * above it when that one already quotes it with more context ("cannot connect to h:p:
 * ECONNREFUSED" rather than "ECONNREFUSED").
 */
export function reasonOf(error: unknown): string {
  const chain: string[] = [];
  let current = error;
  while (current instanceof Error && chain.length < causeDepthMax) {
    if (current.message !== '') chain.push(current.message);
    current = current.cause;
  }
  if (chain.length === 0) return String(error);
  const deepest = chain[chain.length - 1] as string;
  const parent = chain[chain.length - 2];
  return parent?.includes(deepest) ? parent : deepest;
}

function causeText(error: Error): string {
  if (!(error.cause instanceof Error)) return '';
  const reason = reasonOf(error.cause);
  return error.message.includes(reason) ? '' : `; last error: ${reason}`;
}

/** Drops the dangling separator some messages end with when their detail is empty. */
function tidy(message: string): string {
  return message.replace(/[:\s]+$/, '');
}

function clientFailure(error: TributaryClientError, timeoutMs: number): Failure {
  const table = error instanceof TributaryProtocolError ? protocolErrors : clientErrors;
  const plain = table[error.code] ?? { text: 'the cluster refused the operation' };
  const hint =
    error.code === 'TIMEOUT' || error.code === 'CONNECTION_ERROR'
      ? ` (--timeout is ${formatDuration(timeoutMs)}; check --brokers)`
      : '';
  return {
    message: `${plain.text}: ${tidy(error.message)}${causeText(error)}${hint}`,
    exitCode: plain.invalidInput
      ? ExitCode.usage
      : plain.interrupted
        ? ExitCode.interrupted
        : ExitCode.failed,
  };
}

export function describeFailure(error: unknown, context: { readonly timeoutMs: number }): Failure {
  if (error instanceof CliError) {
    return { message: `${error.message}${causeText(error)}`, exitCode: error.exitCode };
  }
  if (error instanceof TributaryClientError) return clientFailure(error, context.timeoutMs);
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `internal error: ${message} (set TRIBUTARY_DEBUG=1 to see where)`,
    exitCode: ExitCode.failed,
    ...(error instanceof Error && error.stack !== undefined ? { stack: error.stack } : {}),
  };
}
