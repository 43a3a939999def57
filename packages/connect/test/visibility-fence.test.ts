import test from 'ava';
import { hasEnded, parseSnapshot, VisibilityFence } from '../src/internal.ts';

test('snapshots parse from PostgreSQL text; a transaction has ended if below xmin or not in progress', (t) => {
  const snapshot = parseSnapshot('100:105:101,103');
  t.deepEqual(snapshot, { xmin: 100n, xmax: 105n, inProgress: [101n, 103n] });
  t.true(hasEnded(99n, snapshot));
  t.false(hasEnded(101n, snapshot));
  t.true(hasEnded(102n, snapshot));
  t.false(hasEnded(105n, snapshot)); // not even started when the snapshot was taken
  t.deepEqual(parseSnapshot('7:7:').inProgress, []);
  t.throws(() => parseSnapshot('garbage'));
});

test('with nothing in progress the current bound is final at once', (t) => {
  const fence = new VisibilityFence<number>();
  t.is(fence.observe(parseSnapshot('10:10:'), 5), 5);
});

test('a bound seen while transactions run is final only once they have all ended', (t) => {
  const fence = new VisibilityFence<number>();
  t.is(fence.observe(parseSnapshot('10:13:10,12'), 7), undefined);
  t.is(fence.observe(parseSnapshot('10:14:10,13'), 9), undefined, '10 still runs');
  t.is(
    fence.observe(parseSnapshot('13:15:13'), 11),
    7,
    '10 and 12 ended: the first bound is final',
  );
  t.is(fence.observe(parseSnapshot('15:16:15'), 12), 11, '13 ended: the third bound');
  t.is(fence.pendingProbes, 1);
  t.is(fence.observe(parseSnapshot('16:16:'), 12), 12);
  t.is(fence.pendingProbes, 0);
});

test('probes are bounded while a transaction stays open, and the answer stays sound', (t) => {
  const fence = new VisibilityFence<number>();
  for (let i = 0; i < 500; i++) fence.observe(parseSnapshot(`10:${20 + i}:10`), i);
  t.true(fence.pendingProbes <= 64);
  t.is(fence.observe(parseSnapshot('600:600:'), undefined), 499, 'the newest probe survived');
});
