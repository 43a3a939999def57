/**
 * Exponential backoff with jitter, as Kafka clients do it: the n-th retry waits
 * `min(backoffMsMax, backoffMsInitial * 2^n)` scaled by a random factor in
 * [1 - jitter, 1 + jitter], so clients that failed together do not retry together.
 */
export interface BackoffOptions {
  readonly backoffMsInitial: number;
  readonly backoffMsMax: number;
  /** Fraction of the delay drawn at random either side, in [0, 1]. */
  readonly jitter: number;
}

export const defaultBackoff: BackoffOptions = {
  backoffMsInitial: 100,
  backoffMsMax: 1_000,
  jitter: 0.2,
};

/** `random` returns a value in [0, 1); injected so tests are deterministic. */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponential = options.backoffMsInitial * 2 ** Math.min(attempt, 30);
  const capped = Math.min(options.backoffMsMax, exponential);
  const factor = 1 - options.jitter + 2 * options.jitter * random();
  return Math.max(0, Math.round(capped * factor));
}
