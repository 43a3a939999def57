/**
 * Retrying what a starting, electing or overloaded cluster may refuse for a while: errors
 * flagged `retriable` are tried again with exponential backoff until `deadline`; any other
 * error, or one that would leave no time for the next attempt, is thrown.
 */
export interface RetryOptions {
  /** When to stop trying (epoch milliseconds). */
  readonly deadline: number;
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
  /** Checked before each retry: false stops (the last error is thrown). */
  readonly keepTrying?: () => boolean;
  readonly onRetry?: (attempt: number, error: unknown) => void;
}

export async function retryRetriable<T>(
  operation: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  let backoffMs = options.backoffMsInitial;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const retriable = (error as { retriable?: boolean } | null)?.retriable === true;
      if (
        !retriable ||
        options.keepTrying?.() === false ||
        Date.now() + backoffMs >= options.deadline
      )
        throw error;
      options.onRetry?.(attempt, error);
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(options.backoffMsMax, backoffMs * 2);
    }
  }
}
