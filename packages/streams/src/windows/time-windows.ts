/**
 * Tumbling and hopping windows on event time: fixed size, starting every `advanceMs` from
 * the epoch, half-open `[start, start + size)`. Tumbling windows advance by their size, so
 * each record falls in exactly one; hopping windows overlap, so a record falls in
 * `size / advance` of them. A window closes when stream time reaches `end + grace`; records
 * for a closed window are late and dropped.
 */
import { InvalidArgumentError } from '../errors.ts';
import { graceMsDefault } from '../limits.ts';
import type { Window } from '../windowed.ts';

function checkDuration(value: number, what: string, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidArgumentError(`${what} must be an integer ≥ ${minimum} ms, got ${value}`);
  }
}

export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {}

  /** Tumbling windows of `sizeMs`, no grace (add one with `grace`). */
  static ofSize(sizeMs: number): TimeWindows {
    checkDuration(sizeMs, 'window size', 1);
    return new TimeWindows(sizeMs, sizeMs, graceMsDefault);
  }

  /** Hopping windows: a new window every `advanceMs` (0 < advance ≤ size). */
  advanceBy(advanceMs: number): TimeWindows {
    checkDuration(advanceMs, 'window advance', 1);
    if (advanceMs > this.sizeMs) {
      throw new InvalidArgumentError(
        `advance ${advanceMs} ms exceeds window size ${this.sizeMs} ms`,
      );
    }
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  grace(graceMs: number): TimeWindows {
    checkDuration(graceMs, 'grace', 0);
    return new TimeWindows(this.sizeMs, this.advanceMs, graceMs);
  }

  /** Every window that holds `timestamp`, oldest first. */
  windowsFor(timestamp: number): Window[] {
    const windows: Window[] = [];
    const newestStart =
      timestamp - (((timestamp % this.advanceMs) + this.advanceMs) % this.advanceMs);
    for (let start = newestStart; start > timestamp - this.sizeMs; start -= this.advanceMs) {
      if (start < 0) break;
      windows.push({ start, end: start + this.sizeMs });
    }
    return windows.reverse();
  }

  /** How long a window's state is kept after its start: until it can no longer change. */
  get retentionMs(): number {
    return this.sizeMs + this.graceMs;
  }
}
