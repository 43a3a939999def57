/**
 * Punctuation schedules of one task. Stream-time punctuators fire as record timestamps move
 * stream time past their next due time (so a replay fires them at the same points);
 * wall-clock punctuators fire from the runtime's timer (or the test driver's clock).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Cancellable, PunctuationType } from './processor.ts';

interface Schedule {
  readonly intervalMs: number;
  readonly type: PunctuationType;
  readonly callback: (timestampMs: number) => void;
  nextMs: number | undefined;
  cancelled: boolean;
}

export class Punctuations {
  private readonly schedules: Schedule[] = [];

  add(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestampMs: number) => void,
  ): Cancellable {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      throw new InvalidArgumentError(
        `punctuation interval must be an integer ≥ 1 ms, got ${intervalMs}`,
      );
    }
    const schedule: Schedule = { intervalMs, type, callback, nextMs: undefined, cancelled: false };
    this.schedules.push(schedule);
    return {
      cancel: () => {
        schedule.cancelled = true;
      },
    };
  }

  /** Fires every due punctuator of `type` at time `nowMs`; returns how many fired. */
  fire(type: PunctuationType, nowMs: number, run: (callback: () => void) => void): number {
    let fired = 0;
    for (const schedule of this.schedules) {
      if (schedule.cancelled || schedule.type !== type) continue;
      if (schedule.nextMs === undefined) {
        // The first observation starts the clock: due one interval later, on a multiple of it.
        schedule.nextMs = nowMs - (nowMs % schedule.intervalMs) + schedule.intervalMs;
        continue;
      }
      if (nowMs < schedule.nextMs) continue;
      run(() => schedule.callback(nowMs));
      fired += 1;
      schedule.nextMs = nowMs - (nowMs % schedule.intervalMs) + schedule.intervalMs;
    }
    return fired;
  }

  get hasWallClock(): boolean {
    return this.schedules.some((s) => !s.cancelled && s.type === 'wall-clock');
  }
}
