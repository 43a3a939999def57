/**
 * The fault schedule of a run, derived from its seed alone: when each fault starts, how long
 * it lasts, which kind it is and the seed of its own random choices (which node...). The same
 * seed and options give the same schedule, so a failing run can be repeated. Kinds are drawn
 * in rounds (a shuffle of every kind, then another), so every kind comes up early.
 */
import { assert } from '../assert.ts';
import { Prng } from '../prng.ts';
import type { FaultKind } from './fault-kinds.ts';

export interface ScheduleOptions {
  readonly seed: number;
  /** Faults start and end within [0, durationMs). */
  readonly durationMs: number;
  readonly kinds: readonly FaultKind[];
  readonly faultMsMin?: number;
  readonly faultMsMax?: number;
  readonly quietMsMin?: number;
  readonly quietMsMax?: number;
}

export interface ScheduledFault {
  readonly atMs: number;
  readonly durationMs: number;
  readonly kind: FaultKind;
  /** Seeds the fault's own choices, independent of how many choices other faults made. */
  readonly seed: number;
}

export function planSchedule(options: ScheduleOptions): ScheduledFault[] {
  const faultMsMin = options.faultMsMin ?? 2000;
  const faultMsMax = options.faultMsMax ?? 6000;
  const quietMsMin = options.quietMsMin ?? 1000;
  const quietMsMax = options.quietMsMax ?? 4000;
  assert(faultMsMin > 0 && faultMsMin <= faultMsMax, 'fault durations: 0 < min <= max');
  assert(quietMsMin >= 0 && quietMsMin <= quietMsMax, 'quiet durations: 0 <= min <= max');
  if (options.kinds.length === 0) return [];
  const prng = new Prng(options.seed);
  const schedule: ScheduledFault[] = [];
  // Kinds come in rounds, each a seeded shuffle of every kind: a run long enough for one
  // round injects every kind, and a short one still gets a spread, not repeats of one kind.
  let round: FaultKind[] = [];
  const nextKind = (): FaultKind => {
    if (round.length === 0) round = prng.shuffle(options.kinds);
    return round.shift()!;
  };
  let atMs = prng.intBetween(quietMsMin, quietMsMax);
  for (;;) {
    const durationMs = prng.intBetween(faultMsMin, faultMsMax);
    if (atMs + durationMs >= options.durationMs) break;
    schedule.push({ atMs, durationMs, kind: nextKind(), seed: prng.nextUint32() });
    atMs += durationMs + prng.intBetween(quietMsMin, quietMsMax);
  }
  return schedule;
}
