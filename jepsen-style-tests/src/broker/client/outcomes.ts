/**
 * Maps what the client library threw onto Jepsen's outcomes. `fail` claims the operation had
 * no effect, so it is used only where that is certain: the call was refused before anything
 * was sent (bad argument, not connected), or the operation only reads. Everything else that
 * may have reached a broker is `info` (indeterminate).
 */
import { IllegalStateError, InvalidArgumentError, TributaryClientError } from '@tributary/client';
import type { Completion, OperationRequest } from '../../runner/workload.ts';

/** True when the library refused the call before sending anything. */
export function refusedBeforeSending(error: unknown): boolean {
  return error instanceof InvalidArgumentError || error instanceof IllegalStateError;
}

export function describeError(error: unknown): string {
  if (error instanceof TributaryClientError) {
    const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
    return `${error.code}: ${error.message}${cause}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The error's protocol code (`UNKNOWN_TOPIC_OR_PARTITION`...), if it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  return error instanceof TributaryClientError ? error.code : undefined;
}

/** An operation with side effects ended in an error: fail only if nothing was sent. */
export function writeFailed(value: OperationRequest['value'], error: unknown): Completion {
  return {
    type: refusedBeforeSending(error) ? 'fail' : 'info',
    value,
    error: describeError(error),
  };
}

/** A read ended in an error: it changed nothing, so it failed. */
export function readFailed(value: OperationRequest['value'], error: unknown): Completion {
  return { type: 'fail', value, error: describeError(error) };
}

/** Call options for the client library: the operation's signal, and a timeout that ends first. */
export interface OperationCall {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
}

export function operationCall(
  signal: AbortSignal,
  deadline: number,
  marginMs: number,
): OperationCall {
  return { signal, timeoutMs: Math.max(1, deadline - Date.now() - marginMs) };
}
