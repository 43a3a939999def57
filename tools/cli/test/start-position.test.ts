import type { TopicOffsets } from '@tributary/client';
import test from 'ava';
import fc from 'fast-check';
import { selectPartitions, startTargets } from '../src/consume/start-targets.ts';
import { reachedEnd } from '../src/consume/until-end.ts';
import { UsageError } from '../src/errors.ts';
import { offsetInRange, parseStartPosition } from '../src/input/start-position.ts';

test('every form of a start position parses', (t) => {
  t.deepEqual(parseStartPosition('beginning', '--from'), { kind: 'beginning' });
  t.deepEqual(parseStartPosition('earliest', '--from'), { kind: 'beginning' });
  t.deepEqual(parseStartPosition('end', '--from'), { kind: 'end' });
  t.deepEqual(parseStartPosition('latest', '--from'), { kind: 'end' });
  t.deepEqual(parseStartPosition('42', '--from'), { kind: 'offset', offset: 42n });
  t.deepEqual(parseStartPosition('-10', '--from'), { kind: 'fromEnd', count: 10n });
  t.deepEqual(parseStartPosition('@1700000000000', '--from'), {
    kind: 'timestamp',
    timestampMs: 1_700_000_000_000,
  });
  t.deepEqual(parseStartPosition('@2024-05-01T00:00:00Z', '--from'), {
    kind: 'timestamp',
    timestampMs: Date.UTC(2024, 4, 1),
  });
  const utc = Date.UTC(2024, 4, 1, 12, 30);
  for (const date of ['2024-05-01T12:30', '2024-05-01 12:30:00', '2024-05-01T14:30+02:00']) {
    t.deepEqual(
      parseStartPosition(`@${date}`, '--from'),
      { kind: 'timestamp', timestampMs: utc },
      date,
    );
  }
});

test('bad start positions are usage errors', (t) => {
  for (const bad of [
    '',
    'start-ish',
    '4.5',
    '--3',
    '@',
    '@yesterday',
    '@-5',
    '99999999999999999999',
  ]) {
    t.throws(() => parseStartPosition(bad, '--from'), { instanceOf: UsageError }, bad);
  }
});

test('offsets are kept inside each partition range', (t) => {
  const range = { low: 10n, high: 20n };
  t.is(offsetInRange({ kind: 'beginning' }, range), 10n);
  t.is(offsetInRange({ kind: 'end' }, range), 20n);
  t.is(offsetInRange({ kind: 'offset', offset: 15n }, range), 15n);
  t.is(offsetInRange({ kind: 'offset', offset: 5n }, range), 10n);
  t.is(offsetInRange({ kind: 'offset', offset: 50n }, range), 20n);
  t.is(offsetInRange({ kind: 'fromEnd', count: 3n }, range), 17n);
  t.is(offsetInRange({ kind: 'fromEnd', count: 30n }, range), 10n);
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 1000n }),
      fc.bigInt({ min: 0n, max: 1000n }),
      fc.bigInt({ min: 0n, max: 2000n }),
      fc.boolean(),
      (low, width, n, fromEnd) => {
        const r = { low, high: low + width };
        const at = offsetInRange(
          fromEnd ? { kind: 'fromEnd', count: n } : { kind: 'offset', offset: n },
          r,
        );
        return at >= r.low && at <= r.high;
      },
    ),
  );
});

const offsets: TopicOffsets[] = [
  { partition: 0, offset: 5n, high: 5n, low: 0n },
  { partition: 1, offset: 9n, high: 9n, low: 2n },
];

test('start targets: exact offsets per partition, times from the broker, ends recorded', (t) => {
  t.deepEqual(startTargets(offsets, { kind: 'fromEnd', count: 3n }), [
    { partition: 0, offset: 2n, end: 5n },
    { partition: 1, offset: 6n, end: 9n },
  ]);
  const atTime = new Map([[0, 4n]]);
  t.deepEqual(startTargets(offsets, { kind: 'timestamp', timestampMs: 1 }, atTime), [
    { partition: 0, offset: 4n, end: 5n },
    { partition: 1, offset: 9n, end: 9n },
  ]);
});

test('partition selection keeps the chosen ones and refuses missing ones', (t) => {
  t.deepEqual(
    selectPartitions(offsets, 'orders', [1]).map((o) => o.partition),
    [1],
  );
  t.is(selectPartitions(offsets, 'orders', undefined).length, 2);
  t.throws(() => selectPartitions(offsets, 'orders', [7]), {
    instanceOf: UsageError,
    message: /orders has no partition 7 \(it has 2\)/,
  });
});

test('until-end: done when every assigned partition reached its end', (t) => {
  const ends = new Map([
    [0, 5n],
    [1, 0n],
  ]);
  t.true(
    reachedEnd(
      [
        { partition: 0, position: 5n },
        { partition: 1, position: 0n },
      ],
      ends,
    ),
  );
  t.false(
    reachedEnd(
      [
        { partition: 0, position: 4n },
        { partition: 1, position: 0n },
      ],
      ends,
    ),
  );
  t.false(reachedEnd([{ partition: 1, position: -1n }], ends), 'unknown position is not done');
  t.false(reachedEnd([{ partition: 9, position: 100n }], ends), 'a partition with no known end');
  t.true(reachedEnd([], ends), 'nothing assigned: nothing to wait for');
});
