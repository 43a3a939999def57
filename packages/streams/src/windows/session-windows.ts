/**
 * Session windows: records of a key no more than `gapMs` apart belong to one session
 * `[first, last]` (both inclusive); a record that bridges two sessions merges them. As in
 * Kafka Streams, a session is closed once stream time − grace has passed its end: a record
 * whose merged session would end before that is late and dropped.
 */
import { InvalidArgumentError } from '../errors.ts';
import { graceMsDefault } from '../limits.ts';

export class SessionWindows {
  private constructor(
    readonly gapMs: number,
    readonly graceMs: number,
  ) {}

  static withInactivityGap(gapMs: number): SessionWindows {
    if (!Number.isSafeInteger(gapMs) || gapMs < 1) {
      throw new InvalidArgumentError(`inactivity gap must be an integer ≥ 1 ms, got ${gapMs}`);
    }
    return new SessionWindows(gapMs, graceMsDefault);
  }

  grace(graceMs: number): SessionWindows {
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) {
      throw new InvalidArgumentError(`grace must be an integer ≥ 0 ms, got ${graceMs}`);
    }
    return new SessionWindows(this.gapMs, graceMs);
  }
}
