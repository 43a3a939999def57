/**
 * The random simulation in CI: 2,000 fault schedules (two files of 1,000 run in parallel),
 * each a 400-tick fault phase and a liveness phase, from fixed seeds so CI is repeatable.
 * SIM_SEED=<n> explores other schedules. A failure prints the shrunk schedule and the
 * command that replays it; keep it in regressions.ts.
 */
import test from 'ava';
import { failureReport, runBatch } from '../../src/sim/run.ts';

export const ciSteps = 400;
export const ciRunsPerFile = 1000;

export function registerRandomSimulation(baseSeed: number): void {
  const seed = Number(process.env.SIM_SEED ?? baseSeed);
  test(`random fault schedules pass every safety and liveness check (seed ${seed})`, (t) => {
    const result = runBatch({ seed, runs: ciRunsPerFile, steps: ciSteps });
    if (result.failed) t.fail(failureReport(result, ciSteps));
    t.is(result.runs, ciRunsPerFile);
    t.true(result.totals.acknowledged > ciRunsPerFile * 10, 'clients got acknowledgements');
    t.true(result.totals.leaderships > 0);
    t.true(result.totals.snapshotsRestored > 0, 'snapshots were installed');
    t.true(result.totals.configChanges > 0, 'memberships changed');
    t.true(result.totals.reads > 0, 'linearizable reads were checked');
  });
}
