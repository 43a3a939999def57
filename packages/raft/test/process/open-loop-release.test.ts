import test from 'ava';
import { OpenLoopRelease, type ReleaseMode } from '../../test-support/open-loop-release.ts';

/** Fires the release every `firingMs` for `durationMs`; returns entries released per group. */
function simulate(mode: ReleaseMode, firingMs: number, durationMs: number): number[] {
  const groupCount = 100;
  const release = new OpenLoopRelease({
    mode,
    groupCount,
    entriesPerSecond: 55_000,
    windowEntries: 512,
    startMs: 0,
  });
  const released = new Array<number>(groupCount).fill(0);
  for (let now = firingMs; now <= durationMs; now += firingMs) {
    for (const [group, count] of release.due(now, () => 0))
      released[group] = (released[group] as number) + count;
  }
  return released;
}

for (const mode of ['burst', 'spread'] as const) {
  test(`${mode}: the offered rate holds when the timer fires late`, (t) => {
    // A 10 ms (burst) or 1 ms (spread) timer firing every 25 ms, as on a loaded machine.
    const released = simulate(mode, 25, 10_000);
    const total = released.reduce((sum, n) => sum + n, 0);
    // At most the last 25 ms firing interval's credit (5.5 entries per group) is still held.
    t.true(total <= 550_000 && total >= 549_300, `released ${total} of 550,000 in 10 s`);
    for (const n of released) t.true(n <= 5_500 && n >= 5_493, `a group released ${n}`);
  });
}

test('burst serves every group at once; spread a tenth of them per millisecond', (t) => {
  const at = (mode: ReleaseMode, firingMs: number) => {
    const release = new OpenLoopRelease({
      mode,
      groupCount: 100,
      entriesPerSecond: 10_000_000,
      windowEntries: 512,
      startMs: 0,
    });
    return release.due(firingMs, () => 0).length;
  };
  t.is(at('burst', 0.5), 100);
  t.is(at('spread', 0.5), 10);
  t.is(at('spread', 4.5), 50);
});

test('a group with its window full gets nothing and keeps at most a window of credit', (t) => {
  const release = new OpenLoopRelease({
    mode: 'burst',
    groupCount: 1,
    entriesPerSecond: 10_000,
    windowEntries: 512,
    startMs: 0,
  });
  t.deepEqual(
    release.due(1000, () => 512),
    [],
  );
  t.deepEqual(
    release.due(1010, () => 0),
    [[0, 512]],
  );
});

test('bad options are refused', (t) => {
  const options = {
    mode: 'burst' as const,
    groupCount: 1,
    entriesPerSecond: 1,
    windowEntries: 1,
    startMs: 0,
  };
  t.throws(() => new OpenLoopRelease({ ...options, groupCount: 0 }), { instanceOf: RangeError });
  t.throws(() => new OpenLoopRelease({ ...options, entriesPerSecond: 0 }), {
    instanceOf: RangeError,
  });
});
