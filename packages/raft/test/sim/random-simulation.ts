/**
 * The random simulation in CI: 2,000 fault schedules (two files of 1,000, run in parallel,
 * each as four tests of 250 so that a loaded machine never trips ava's inactivity timeout),
 * each a 400-tick fault phase and a liveness phase, from fixed seeds so CI is repeatable.
 * SIM_SEED=<n> explores other schedules. A failure prints the shrunk schedule and the
 * command that replays it; keep it in regressions.ts.
 */
import test from 'ava';
import { failureReport, runBatch } from '../../src/sim/run.ts';

export const ciSteps = 400;
export const ciRunsPerTest = 250;
export const ciTestsPerFile = 4;

export function registerRandomSimulation(baseSeed: number): void {
  const base = Number(process.env.SIM_SEED ?? baseSeed);
  for (let part = 0; part < ciTestsPerFile; part++) {
    const seed = base + part;
    test(`random fault schedules pass every safety and liveness check (seed ${seed})`, (t) => {
      t.timeout(15 * 60_000, 'the simulation is CPU-bound; a loaded machine slows it down');
      const result = runBatch({ seed, runs: ciRunsPerTest, steps: ciSteps });
      if (result.failed) t.fail(failureReport(result, ciSteps));
      t.is(result.runs, ciRunsPerTest);
      t.true(result.totals.acknowledged > ciRunsPerTest * 10, 'clients got acknowledgements');
      t.true(result.totals.leaderships > ciRunsPerTest, 'leadership changed hands');
      t.true(result.totals.snapshotsRestored > 0, 'snapshots were installed');
      t.true(result.totals.configChanges > 0, 'memberships changed');
      t.true(result.totals.reads > 0, 'linearizable reads were checked');
    });
  }
}
