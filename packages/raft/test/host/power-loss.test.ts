/**
 * No entry that was applied anywhere is lost when the whole cluster loses power at once,
 * whichever two nodes come back, with the real host's pipelined cycles, group commit and
 * slow, uneven disks in the loop (see power-loss-harness.ts). Four seeds run in CI (about
 * 3 s each); more with `POWER_LOSS_SEEDS=1-200 npx ava packages/raft/test/host/power-loss.test.ts`.
 */
import test from 'ava';
import { runPowerLoss } from './power-loss-harness.ts';

function seedsFrom(spec: string | undefined): number[] {
  if (spec === undefined || spec === '') return [1, 2, 3, 4];
  const [first, last] = spec.split('-').map(Number);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last ?? first)) {
    throw new Error(`POWER_LOSS_SEEDS must be N or N-M, not ${spec}`);
  }
  return Array.from({ length: (last ?? first!) - first! + 1 }, (_, i) => first! + i);
}

for (const seed of seedsFrom(process.env.POWER_LOSS_SEEDS)) {
  // One at a time: each is three hosts with timers, and starving them only slows it.
  test.serial(`every applied entry survives whole-cluster power loss (seed ${seed})`, async (t) => {
    const result = await runPowerLoss({ seed });
    t.deepEqual(result.violations, []);
    // Nothing was damaged, only cut: no replica may come back believing it lost what it
    // acknowledged (two such of three never elect). Logged only until its last known cause
    // was fixed (816d5a6); 160 runs under CPU starvation then saw none.
    t.deepEqual(result.amnesia, []);
    // The check means something only if entries were applied before each loss.
    for (const applied of result.appliedBeforeLoss) t.true(applied > 0, `${applied} applied`);
    t.true(result.compactions > 0, 'logs were compacted');
    t.log(
      `applied before each loss: ${result.appliedBeforeLoss.join(', ')}; ` +
        `${result.compactions} compactions, ${result.snapshotsInstalled} snapshots installed, ` +
        `${result.transfersStarted} leadership transfers begun`,
    );
  });
}
