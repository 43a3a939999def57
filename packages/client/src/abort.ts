/**
 * Cancellation and deadlines. Every public call that can wait takes `CallOptions`: an
 * AbortSignal and a timeout. A `CallScope` merges both (and the client's own lifetime) into
 * one cancellation whose `reason` is already the typed error to surface (`AbortError` or
 * `TimeoutError`), so any wait inside the call can reject with `scope.reason` and the
 * caller sees the right type. Waits take the scope itself (`Interrupt`); a real
 * AbortSignal is made only for APIs that need one (`scope.signal`).
 */
import { setMaxListeners } from 'node:events';
import { AbortError, TimeoutError, type TributaryClientError } from './errors.ts';

export interface CallOptions {
  /** Cancels the call; it rejects with an `AbortError` whose cause is the signal's reason. */
  readonly signal?: AbortSignal;
  /** Bound on the whole call, retries included; it then rejects with a `TimeoutError`. */
  readonly timeoutMs?: number;
}

/**
 * What a wait listens to: a real AbortSignal (from the application) or a `Cancellation`
 * (the client's own scopes and lifetime). Both have `aborted` and `reason`.
 */
export type Interrupt = AbortSignal | Cancellation;

/**
 * A cancellation that costs next to nothing until someone needs a real AbortSignal.
 * Why: in Node an AbortSignal is an EventTarget; making one and listening to it costs
 * 10–25 µs, and every `send` and every request made one or two. A send of one record paid
 * more for its signals than for the record.
 */
export class Cancellation {
  private abortedWith: { reason: unknown } | undefined;
  private listeners: Set<() => void> | undefined;
  private controller: AbortController | undefined;

  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  get reason(): unknown {
    return this.abortedWith?.reason;
  }

  /** A real AbortSignal following this cancellation, made on first use. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // Any number of waits may listen to a long-lived cancellation's signal.
      setMaxListeners(0, this.controller.signal);
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /** Calls `listener` once, when this aborts (at once if it has); returns the remover. */
  onAbort(listener: () => void): () => void {
    if (this.abortedWith !== undefined) {
      listener();
      return () => {};
    }
    this.listeners ??= new Set();
    // A wrapper of its own: the same function added twice is two listeners, each removable.
    const own = () => listener();
    this.listeners.add(own);
    return () => this.listeners?.delete(own);
  }

  abort(reason: unknown): void {
    if (this.abortedWith !== undefined) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}

/** Calls `listener` once when `interrupt` aborts; returns the function that stops listening. */
export function onInterrupt(interrupt: Interrupt, listener: () => void): () => void {
  if (interrupt instanceof Cancellation) return interrupt.onAbort(listener);
  interrupt.addEventListener('abort', listener, { once: true });
  return () => interrupt.removeEventListener('abort', listener);
}

/** A real AbortSignal for APIs that need one. */
export function signalOf(interrupt: Interrupt): AbortSignal {
  return interrupt instanceof Cancellation ? interrupt.signal : interrupt;
}

export class CallScope extends Cancellation {
  readonly deadlineMs: number;
  private readonly timer: ReturnType<typeof setTimeout> | undefined;
  private readonly stopListening: (() => void)[] = [];

  /**
   * `options.signal` is the application's; `within` is the client's own bound (its
   * lifetime, a member's run): the scope ends with an AbortError when either aborts.
   */
  constructor(
    readonly what: string,
    options: CallOptions,
    defaultTimeoutMs: number,
    within?: Cancellation,
  ) {
    super();
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    this.deadlineMs = Date.now() + timeoutMs;
    for (const parent of [options.signal, within]) {
      if (parent === undefined || this.aborted) continue;
      const onParentAbort = () => this.abort(new AbortError(`${what} aborted`, parent.reason));
      if (parent.aborted) onParentAbort();
      else this.stopListening.push(onInterrupt(parent, onParentAbort));
    }
    if (!this.aborted && Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(
        () => this.abort(new TimeoutError(`${what} timed out after ${timeoutMs} ms`)),
        Math.max(0, timeoutMs),
      );
    }
  }

  /** The typed reason this scope ended; only meaningful once `aborted`. */
  override get reason(): TributaryClientError {
    return super.reason as TributaryClientError;
  }

  throwIfDone(): void {
    if (this.aborted) throw this.reason;
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineMs - Date.now());
  }

  /** Ends the scope without aborting (success); always call it, in a `finally`. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const stop of this.stopListening) stop();
    this.stopListening.length = 0;
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

/** Resolves after `ms`, or rejects with the interrupt's reason when it aborts first. */
export function sleep(ms: number, interrupt?: Interrupt): Promise<void> {
  return new Promise((resolve, reject) => {
    if (interrupt?.aborted) {
      reject(interrupt.reason);
      return;
    }
    const stop =
      interrupt === undefined
        ? undefined
        : onInterrupt(interrupt, () => {
            clearTimeout(timer);
            reject(interrupt.reason);
          });
    const timer = setTimeout(() => {
      stop?.();
      resolve();
    }, ms);
  });
}

/**
 * Settles like `promise`, or rejects with the signal's reason if it aborts first. Either
 * way `promise` is handled: once the caller has given up, its later failure (a request
 * settled with the abort reason, say) must not surface as an unhandled rejection.
 */
export function abortable<T>(promise: Promise<T>, interrupt: Interrupt | undefined): Promise<T> {
  if (interrupt === undefined) return promise;
  if (interrupt.aborted) {
    promise.catch(() => {});
    return Promise.reject(interrupt.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const stop = onInterrupt(interrupt, () => reject(interrupt.reason));
    promise.then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}
