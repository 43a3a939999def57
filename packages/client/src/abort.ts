/**
 * Cancellation and deadlines. Every public call that can wait takes `CallOptions`: an
 * AbortSignal and a timeout. A `CallScope` merges both into one signal whose `reason` is
 * already the typed error to surface (`AbortError` or `TimeoutError`), so any wait inside
 * the call can reject with `scope.signal.reason` and the caller sees the right type.
 */
import { AbortError, TimeoutError, type TributaryClientError } from './errors.ts';

export interface CallOptions {
  /** Cancels the call; it rejects with an `AbortError` whose cause is the signal's reason. */
  readonly signal?: AbortSignal;
  /** Bound on the whole call, retries included; it then rejects with a `TimeoutError`. */
  readonly timeoutMs?: number;
}

export class CallScope {
  readonly signal: AbortSignal;
  readonly deadlineMs: number;
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly parent: AbortSignal | undefined;
  private readonly onParentAbort: () => void;

  constructor(
    readonly what: string,
    options: CallOptions,
    defaultTimeoutMs: number,
  ) {
    this.signal = this.controller.signal;
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.deadlineMs = Date.now() + timeoutMs;
    this.parent = options.signal;
    this.onParentAbort = () =>
      this.controller.abort(new AbortError(`${what} aborted`, this.parent?.reason));
    if (this.parent?.aborted) {
      this.onParentAbort();
    } else {
      this.parent?.addEventListener('abort', this.onParentAbort, { once: true });
      if (Number.isFinite(timeoutMs)) {
        this.timer = setTimeout(
          () => this.controller.abort(new TimeoutError(`${what} timed out after ${timeoutMs} ms`)),
          Math.max(0, timeoutMs),
        );
      }
    }
  }

  get done(): boolean {
    return this.signal.aborted;
  }

  /** The typed reason this scope ended; only meaningful once `done`. */
  get reason(): TributaryClientError {
    return this.signal.reason as TributaryClientError;
  }

  throwIfDone(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineMs - Date.now());
  }

  /** Ends the scope without aborting (success); always call it, in a `finally`. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}

/** Runs `body` inside a scope that is always disposed. */
export async function withScope<T>(
  what: string,
  options: CallOptions,
  defaultTimeoutMs: number,
  body: (scope: CallScope) => Promise<T>,
): Promise<T> {
  const scope = new CallScope(what, options, defaultTimeoutMs);
  try {
    return await body(scope);
  } finally {
    scope.dispose();
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with the signal's reason if it aborts first. Either
 * way `promise` is handled: once the caller has given up, its later failure (a request
 * settled with the abort reason, say) must not surface as an unhandled rejection.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
