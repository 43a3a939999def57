import test from 'ava';
import { TailCache } from '../src/tail-cache.ts';

const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

/** Batches of 10 offsets and 100 bytes each: [0..9], [10..19], ... */
function filled(capacityBytes: number, count: number): TailCache {
  const cache = new TailCache(capacityBytes);
  for (let i = 0; i < count; i++) cache.add(i * 10, i * 10 + 9, bytes(100, i));
  return cache;
}

test('reads whole batches from the one holding the offset, up to maxBytes but at least one', (t) => {
  const cache = filled(10_000, 5);
  const read = cache.read(25, 250);
  t.deepEqual(
    read?.batches.map((b) => b[0]),
    [2, 3],
  );
  t.is(read?.sizeBytes, 200);
  t.is(read?.nextOffset, 40);
  t.deepEqual(
    cache.read(41, 1)?.batches.map((b) => b[0]),
    [4],
  );
  t.is(cache.read(50, 100), undefined, 'nothing after the last batch');
});

test('evicts the oldest batches beyond its budget and then answers only from what it holds', (t) => {
  const cache = filled(300, 5);
  t.is(cache.sizeBytes, 300);
  t.is(cache.read(19, 1000), undefined, 'evicted: the caller reads the files');
  t.deepEqual(
    cache.read(20, 1000)?.batches.map((b) => b[0]),
    [2, 3, 4],
  );
});

test('truncation drops the batches at and after the cut; a gap starts it over', (t) => {
  const cache = filled(10_000, 5);
  cache.truncateFrom(30);
  t.is(cache.read(30, 1000), undefined);
  t.deepEqual(
    cache.read(0, 1000)?.batches.map((b) => b[0]),
    [0, 1, 2],
  );
  cache.add(30, 39, bytes(100, 7));
  t.deepEqual(
    cache.read(35, 1000)?.batches.map((b) => b[0]),
    [7],
  );
  cache.add(100, 109, bytes(100, 8)); // not contiguous: what came before is dropped
  t.is(cache.read(0, 1000), undefined);
  t.deepEqual(
    cache.read(100, 1000)?.batches.map((b) => b[0]),
    [8],
  );
});

test('a budget of zero keeps nothing', (t) => {
  const cache = filled(0, 3);
  t.is(cache.sizeBytes, 0);
  t.is(cache.read(0, 1000), undefined);
});

test('many batches through a small budget stay bounded and readable', (t) => {
  const cache = filled(1_000, 5_000);
  t.is(cache.sizeBytes, 1_000);
  t.deepEqual(cache.read(49_905, 1_000_000)?.batches.length, 10);
  t.is(cache.read(49_899, 100), undefined);
});
