/**
 * The retry loop shared by every operation: run an attempt; on a retriable error, let the
 * caller react (refresh metadata, forget a coordinator), wait an exponential backoff with
 * jitter, and try again, until the call's scope ends. When the scope ends by its deadline
 * the error is a TimeoutError whose cause is the last attempt's error, so the operator sees
 * why it kept failing.
 */
import { type CallScope, type Interrupt, signalOf, sleep } from './abort.ts';
import { type BackoffOptions, backoffDelayMs } from './backoff.ts';
import {
  isRetriable,
  RequestTimeoutError,
  TimeoutError,
  type TributaryClientError,
} from './errors.ts';

export interface RetryPolicy extends BackoffOptions {
  /** Attempts after the first; the deadline usually ends retries first. */
  readonly retriesMax: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  backoffMsInitial: 100,
  backoffMsMax: 1_000,
  jitter: 0.2,
  retriesMax: Number.MAX_SAFE_INTEGER,
};

export interface RetryHooks {
  /** Called with each retriable failure before the backoff. */
  readonly onRetriable?: (error: TributaryClientError, attempt: number) => void;
  /** Extra interrupt that ends the loop (the client closing). */
  readonly closeSignal?: Interrupt;
  readonly random?: () => number;
}

export async function retrying<T>(
  scope: CallScope,
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  let lastError: unknown;
  for (let attemptNumber = 0; ; attemptNumber += 1) {
    if (hooks.closeSignal?.aborted) throw hooks.closeSignal.reason;
    if (scope.aborted) throw endError(scope, lastError);
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (hooks.closeSignal?.aborted) throw hooks.closeSignal.reason;
      if (!isRetriable(error) && error !== scope.reason) throw error;
      if (scope.aborted) {
        const cut = cutByDeadline(error, scope) && lastError !== undefined;
        throw endError(scope, cut ? lastError : error);
      }
      if (attemptNumber >= policy.retriesMax) throw error;
      lastError = error;
      hooks.onRetriable?.(error as TributaryClientError, attemptNumber);
    }
    const delayMs = Math.min(
      backoffDelayMs(attemptNumber, policy, hooks.random),
      scope.remainingMs(),
    );
    // A retry pause is rare: the cost of a combined AbortSignal does not matter here.
    const interrupt =
      hooks.closeSignal === undefined
        ? scope
        : AbortSignal.any([scope.signal, signalOf(hooks.closeSignal)]);
    try {
      await sleep(delayMs, interrupt);
    } catch {
      if (hooks.closeSignal?.aborted) throw hooks.closeSignal.reason;
      throw endError(scope, lastError);
    }
  }
}

/**
 * Whether an attempt failed only because the call's deadline came: with the scope's own
 * reason, or with its request's timeout, which is set to the time the scope had left. The
 * last failure before it says more (a flaky test saw REQUEST_TIMEOUT in place of the
 * NOT_ENOUGH_REPLICAS every earlier attempt got, when the deadline fell mid-attempt).
 */
function cutByDeadline(error: unknown, scope: CallScope): boolean {
  return error === scope.reason || error instanceof RequestTimeoutError;
}

/** The scope's own reason, carrying the last failure when the deadline ended it. */
function endError(scope: CallScope, lastError: unknown): TributaryClientError {
  const reason = scope.reason;
  if (reason instanceof TimeoutError && lastError !== undefined && lastError !== reason) {
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    return new TimeoutError(`${reason.message}; last error: ${last}`, lastError);
  }
  return reason;
}
