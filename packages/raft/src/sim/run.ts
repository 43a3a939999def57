/**
 * Runs many simulated schedules with fast-check, which shrinks a failing schedule before
 * reporting it. The report names the fast-check seed and path that replay the failure
 * exactly (`npm run sim -- --seed S --path P`) and prints the shrunk schedule as JSON
 * (keep it as a regression case in test/sim/regressions.ts).
 */
import fc from 'fast-check';
import { type SimSchedule, scheduleArbitrary } from './schedule.ts';
import { runSimulation, type SimulationOptions, type SimulationStats } from './simulation.ts';

export interface BatchOptions {
  readonly seed: number;
  readonly runs: number;
  readonly steps: number;
  readonly path?: string;
  readonly simulation?: SimulationOptions;
  readonly onRun?: (completed: number, stats: SimulationStats) => void;
}

export interface BatchResult {
  readonly failed: boolean;
  readonly runs: number;
  readonly totals: SimulationStats;
  readonly counterexample?: SimSchedule;
  readonly error?: unknown;
  readonly seed: number;
  readonly path?: string;
  readonly shrinks: number;
  readonly lastSchedule?: SimSchedule;
}

function emptyStats(): SimulationStats {
  return {
    ticks: 0,
    proposals: 0,
    acknowledged: 0,
    messages: 0,
    dropped: 0,
    leaderships: 0,
    snapshotsRestored: 0,
    configChanges: 0,
    reads: 0,
  };
}

function add(into: SimulationStats, stats: SimulationStats): void {
  for (const key of Object.keys(into) as (keyof SimulationStats)[]) into[key] += stats[key];
}

export function runBatch(options: BatchOptions): BatchResult {
  const totals = emptyStats();
  let completed = 0;
  let lastSchedule: SimSchedule | undefined;
  let failedOnce = false;
  const property = fc.property(scheduleArbitrary(options.steps), (schedule) => {
    lastSchedule = schedule;
    let stats: SimulationStats;
    try {
      stats = runSimulation(schedule, options.simulation);
    } catch (error) {
      failedOnce = true; // what follows is shrinking: do not count it as runs
      throw error;
    }
    if (!failedOnce) {
      completed++;
      add(totals, stats);
      options.onRun?.(completed, stats);
    }
  });
  const details = fc.check(property, {
    seed: options.seed,
    numRuns: options.runs,
    path: options.path,
  });
  if (!details.failed) {
    return { failed: false, runs: completed, totals, seed: options.seed, shrinks: 0, lastSchedule };
  }
  return {
    failed: true,
    runs: completed,
    totals,
    counterexample: details.counterexample?.[0],
    error: details.errorInstance,
    seed: details.seed,
    path: details.counterexamplePath ?? undefined,
    shrinks: details.numShrinks,
    lastSchedule,
  };
}

export function replayCommand(result: BatchResult, steps: number): string {
  const path = result.path === undefined ? '' : ` --path ${result.path}`;
  return `npm run sim -- --seed ${result.seed}${path} --steps ${steps}`;
}

export function failureReport(result: BatchResult, steps: number): string {
  const error =
    result.error instanceof Error
      ? `${result.error.name}: ${result.error.message}`
      : String(result.error);
  return [
    `simulation failed after ${result.runs} passing schedule(s), shrunk ${result.shrinks} time(s)`,
    `  ${error}`,
    `  replay: ${replayCommand(result, steps)} [--trace]`,
    `  schedule (keep it in packages/raft/test/sim/regressions.ts):`,
    `  ${JSON.stringify(result.counterexample)}`,
  ].join('\n');
}
