/**
 * Sliding windows: a window of `differenceMs` that moves with the records. Records within
 * `differenceMs` of each other share a window. The windows of a key are exactly
 *
 *   { [t − d, t]     : t the timestamp of one of its records }          (left windows)
 *   { [t + 1, t + 1 + d] : t a timestamp, some record in (t, t + 1 + d] } (right windows)
 *
 * both ends inclusive, each holding the records whose timestamps it covers. That is the
 * set Kafka Streams' sliding windows produce: one window per distinct set of records that
 * fits in `d`. A window closes when stream time passes `end + grace`.
 */
import { InvalidArgumentError } from '../errors.ts';
import { graceMsDefault } from '../limits.ts';

export class SlidingWindows {
  private constructor(
    readonly differenceMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifference(differenceMs: number): SlidingWindows {
    if (!Number.isSafeInteger(differenceMs) || differenceMs < 1) {
      throw new InvalidArgumentError(
        `time difference must be an integer ≥ 1 ms, got ${differenceMs}`,
      );
    }
    return new SlidingWindows(differenceMs, graceMsDefault);
  }

  grace(graceMs: number): SlidingWindows {
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
      throw new InvalidArgumentError(`grace must be an integer ≥ 0 ms, got ${graceMs}`);
    }
    return new SlidingWindows(this.differenceMs, graceMs);
  }
}
