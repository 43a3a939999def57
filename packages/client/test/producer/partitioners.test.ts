import { initChecksums } from '@tributary/protocol';
import test from 'ava';
import fc from 'fast-check';
import { InvalidArgumentError } from '../../src/errors.ts';
import {
  createPartitioner,
  partitionForKey,
  RoundRobinPartitioner,
  StickyPartitioner,
} from '../../src/producer/partitioners.ts';

test.before(async () => {
  await initChecksums();
});

const bytes = (text: string) => new TextEncoder().encode(text);
const args = (key: Uint8Array | null, partitionCount = 6) => ({
  topic: 't',
  partitionCount,
  key,
  value: null,
});

test('key placement is XXH64(seed 0) of the key bytes, unsigned, modulo the count (golden values)', (t) => {
  // XXH64("a") = 0xd24ec4f1a98c6e5b; XXH64("") = 0xef46db3751d8e999.
  t.is(partitionForKey(bytes('a'), 6), Number(0xd24ec4f1a98c6e5bn % 6n));
  t.is(partitionForKey(bytes(''), 6), Number(0xef46db3751d8e999n % 6n));
  t.is(partitionForKey(bytes('key-1'), 6), 0);
  t.is(partitionForKey(bytes('user-42'), 6), 5);
  t.is(partitionForKey(bytes('user-42'), 1000), Number(0x397e9d3a76af7c81n % 1000n));
});

test('the key partitioner is stable and in range for any key and count', (t) => {
  const partitioner = createPartitioner('key');
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 64 }),
      fc.integer({ min: 1, max: 1000 }),
      (key, count) => {
        const first = partitioner.partition(args(key, count));
        const again = createPartitioner('key').partition(args(Uint8Array.from(key), count));
        return first === again && first >= 0 && first < count;
      },
    ),
  );
  t.pass();
});

test('keys spread roughly evenly', (t) => {
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i += 1) counts[partitionForKey(bytes(`key-${i}`), 6)] += 1;
  for (const count of counts) t.true(count > 850 && count < 1150, `counts ${counts}`);
});

test('round robin gives every partition its turn, ignoring keys', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 500 }),
      (count, records) => {
        const partitioner = new RoundRobinPartitioner();
        const counts = new Array(count).fill(0);
        for (let i = 0; i < records; i += 1)
          counts[partitioner.partition(args(bytes('same'), count))] += 1;
        return Math.max(...counts) - Math.min(...counts) <= 1;
      },
    ),
  );
  t.pass();
});

test('sticky stays on a partition until its batch closes, then moves on', (t) => {
  const partitioner = new StickyPartitioner();
  const first = partitioner.partition(args(null));
  t.is(partitioner.partition(args(null)), first);
  partitioner.onNewBatch('t', (first + 3) % 6); // another partition's batch: no move
  t.is(partitioner.partition(args(null)), first);
  partitioner.onNewBatch('t', first);
  const second = partitioner.partition(args(null));
  t.is(second, (first + 1) % 6);
  const seen = new Set<number>();
  for (let i = 0; i < 12; i += 1) {
    const p = partitioner.partition(args(null));
    seen.add(p);
    partitioner.onNewBatch('t', p);
  }
  t.is(seen.size, 6, 'over time every partition gets batches');
});

test('the key partitioner is sticky for records without a key', (t) => {
  const partitioner = createPartitioner('key');
  const p = partitioner.partition(args(null));
  t.is(partitioner.partition(args(null)), p);
  partitioner.onNewBatch?.('t', p);
  t.not(partitioner.partition(args(null)), p);
});

test('a custom partitioner is used, and an answer out of range is INVALID_ARGUMENT', (t) => {
  const custom = createPartitioner(({ value }) => (value?.[0] ?? 0) % 3);
  t.is(custom.partition({ ...args(null), value: new Uint8Array([5]) }), 2);
  const broken = createPartitioner(() => 7);
  const error = t.throws(() => broken.partition(args(null)));
  t.true(error instanceof InvalidArgumentError);
  t.throws(() => createPartitioner('nope' as never), { instanceOf: InvalidArgumentError });
});
