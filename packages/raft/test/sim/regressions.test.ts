/** Replays every schedule the simulator has ever failed on (see regressions.ts). */
import test from 'ava';
import { SafetyViolation } from '../../src/sim/checker.ts';
import { runSimulation } from '../../src/sim/simulation.ts';
import { amnesiaLossSchedule, regressionCases } from './regressions.ts';

for (const { name, found, schedule } of regressionCases) {
  test(`regression: ${name} (${found})`, (t) => {
    const stats = runSimulation(schedule);
    t.true(stats.ticks > schedule.steps, 'the liveness phase ran');
  });
}

test('without votingDisabledUntilIndex, a disk that lost acknowledged entries loses a committed entry', (t) => {
  const error = t.throws(() => runSimulation(amnesiaLossSchedule, { amnesiaProtection: false }), {
    instanceOf: SafetyViolation,
  });
  t.regex(error?.message ?? '', /leader completeness|committed entry lost|acknowledged proposal/);
});

test('with votingDisabledUntilIndex, the same schedule loses nothing', (t) => {
  const stats = runSimulation(amnesiaLossSchedule, { amnesiaProtection: true });
  t.true(stats.acknowledged > 0);
});
