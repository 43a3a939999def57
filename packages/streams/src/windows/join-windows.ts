/**
 * Windows of a stream-stream join: a left record at `t` joins right records of the same key
 * with timestamps in `[t − before, t + after]` (symmetric by default). Records are kept
 * `before + after + grace` so late records within grace still find their partners; outer
 * joins emit a record without partner once its window has closed.
 */
import { InvalidArgumentError } from '../errors.ts';
import { graceMsDefault } from '../limits.ts';

function checkMs(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be an integer ≥ 0 ms, got ${value}`);
  }
}

export class JoinWindows {
  private constructor(
    readonly beforeMs: number,
    readonly afterMs: number,
    readonly graceMs: number,
  ) {}

  static ofTimeDifference(differenceMs: number): JoinWindows {
    checkMs(differenceMs, 'join time difference');
    return new JoinWindows(differenceMs, differenceMs, graceMsDefault);
  }

  before(beforeMs: number): JoinWindows {
    checkMs(beforeMs, 'join before');
    return new JoinWindows(beforeMs, this.afterMs, this.graceMs);
  }

  after(afterMs: number): JoinWindows {
    checkMs(afterMs, 'join after');
    return new JoinWindows(this.beforeMs, afterMs, this.graceMs);
  }

  grace(graceMs: number): JoinWindows {
    checkMs(graceMs, 'grace');
    return new JoinWindows(this.beforeMs, this.afterMs, graceMs);
  }
}
