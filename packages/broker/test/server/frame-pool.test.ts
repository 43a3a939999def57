import test from 'ava';
import { FramePool } from '../../src/server/frame-pool.ts';

test('a released frame buffer is reused; a lent one is not', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 2 });
  const first = pool.allocate(10_000);
  const second = pool.allocate(10_000);
  t.not(first.buffer, second.buffer, 'two lent frames never share memory');
  t.is(pool.owned, 2);
  pool.release(first);
  const third = pool.allocate(9_000);
  t.is(third.buffer, first.buffer, 'the released buffer is reused');
  t.is(third.byteLength, 9_000, 'a frame is exactly the size asked for');
});

test('beyond its bound, or above its buffer size, the pool hands out fresh memory', (t) => {
  const pool = new FramePool({ bufferBytesMax: 64 * 1024, buffersMax: 1 });
  const pooled = pool.allocate(1_000);
  const overflow = pool.allocate(1_000);
  const large = pool.allocate(100 * 1024);
  t.is(pool.owned, 1);
  pool.release(overflow);
  pool.release(large);
  t.is(pool.freeCount, 0, 'frames the pool did not lend are not taken in');
  pool.release(pooled);
  t.is(pool.freeCount, 1);
});

test('a discarded frame is forgotten, so the pool may allocate in its place', (t) => {
  const pool = new FramePool({ bufferBytesMax: 64 * 1024, buffersMax: 1 });
  const frame = pool.allocate(1_000);
  pool.discard(frame);
  t.is(pool.owned, 0);
  pool.release(frame);
  t.is(pool.freeCount, 0, 'a discarded frame never comes back');
  const next = pool.allocate(1_000);
  t.not(next.buffer, frame.buffer);
  t.is(pool.owned, 1);
});

test('a free buffer too small for a frame is dropped for a larger one', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 1 });
  pool.release(pool.allocate(1_000));
  const larger = pool.allocate(200_000);
  t.is(pool.owned, 1);
  t.true(larger.buffer.byteLength >= 200_000);
  pool.release(larger);
  t.is(pool.allocate(150_000).buffer, larger.buffer);
});
