import test from 'ava';
import { FramePool } from '../../src/index.ts';

const pooledFrameBytesMin = 64 * 1024;

// Every frame pooled (pooledFrameBytesMin 0), as the client's Produce frames and batches.
test('a released frame lends its memory to the next one, an unreleased frame never', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 2 });
  const first = pool.allocate(1000);
  const second = pool.allocate(1000);
  t.is(first.byteLength, 1000);
  t.not(first.buffer, second.buffer, 'two frames out at once never share memory');
  first.fill(7);
  t.true(second.every((byte) => byte !== 7 || second.buffer !== first.buffer));
  pool.release(first);
  const third = pool.allocate(500);
  t.is(third.buffer, first.buffer, 'the released buffer is reused');
  t.is(third.byteLength, 500);
  t.is(pool.owned, 2);
});

test('frames past the bound or larger than the pool buffers are fresh and not pooled', (t) => {
  const pool = new FramePool({ bufferBytesMax: 256 * 1024, buffersMax: 1 });
  // Past Node's 4 KiB small-buffer pool, so every fresh frame has an ArrayBuffer of its own.
  const pooled = pool.allocate(10_000);
  const overBound = pool.allocate(10_000);
  const tooLarge = pool.allocate(300 * 1024);
  t.not(overBound.buffer, pooled.buffer);
  t.is(tooLarge.byteLength, 300 * 1024);
  pool.release(overBound);
  pool.release(tooLarge);
  t.is(pool.owned, 1);
  t.not(pool.allocate(10_000).buffer, overBound.buffer, 'a fresh frame does not join the pool');
});

test('a frame larger than every free buffer replaces one of them', (t) => {
  const pool = new FramePool({ bufferBytesMax: 2 * 1024 * 1024, buffersMax: 1 });
  const small = pool.allocate(1000);
  pool.release(small);
  const large = pool.allocate(600 * 1024);
  t.not(large.buffer, small.buffer);
  t.is(pool.owned, 1);
  pool.release(large);
  t.is(pool.allocate(500 * 1024).buffer, large.buffer);
});

test('releasing twice or releasing foreign memory changes nothing', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 2 });
  const frame = pool.allocate(100);
  pool.release(frame);
  pool.release(frame);
  pool.release(new Uint8Array(100));
  const a = pool.allocate(100);
  const b = pool.allocate(100);
  t.not(a.buffer, b.buffer, 'one release lends the buffer once');
});

// The broker's Fetch answers: large frames, small ones left to ordinary memory (last tests).
test('a released frame buffer is reused; a lent one is not', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 2 });
  const first = pool.allocate(100_000);
  const second = pool.allocate(100_000);
  t.not(first.buffer, second.buffer, 'two lent frames never share memory');
  t.is(pool.owned, 2);
  pool.release(first);
  const third = pool.allocate(90_000);
  t.is(third.buffer, first.buffer, 'the released buffer is reused');
  t.is(third.byteLength, 90_000, 'a frame is exactly the size asked for');
});

test('beyond its bound, or above its buffer size, the pool hands out fresh memory', (t) => {
  const pool = new FramePool({ bufferBytesMax: 128 * 1024, buffersMax: 1 });
  const pooled = pool.allocate(70_000);
  const overflow = pool.allocate(70_000);
  const large = pool.allocate(200 * 1024);
  t.is(pool.owned, 1);
  pool.release(overflow);
  pool.release(large);
  t.is(pool.freeCount, 0, 'frames the pool did not lend are not taken in');
  pool.release(pooled);
  t.is(pool.freeCount, 1);
});

test('a discarded frame is forgotten, so the pool may allocate in its place', (t) => {
  const pool = new FramePool({ bufferBytesMax: 128 * 1024, buffersMax: 1 });
  const frame = pool.allocate(70_000);
  pool.discard(frame);
  t.is(pool.owned, 0);
  pool.release(frame);
  t.is(pool.freeCount, 0, 'a discarded frame never comes back');
  const next = pool.allocate(70_000);
  t.not(next.buffer, frame.buffer);
  t.is(pool.owned, 1);
});

test('a free buffer too small for a frame is dropped for a larger one', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 1 });
  pool.release(pool.allocate(70_000));
  const larger = pool.allocate(200_000);
  t.is(pool.owned, 1);
  t.true(larger.buffer.byteLength >= 200_000);
  pool.release(larger);
  t.is(pool.allocate(150_000).buffer, larger.buffer);
});

test('small frames get ordinary memory and leave the pooled buffers to large ones', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 2, pooledFrameBytesMin });
  pool.release(pool.allocate(500_000));
  const small = pool.allocate(pooledFrameBytesMin - 1);
  t.is(pool.freeCount, 1, 'the pooled buffer was not lent to a small frame');
  pool.release(small);
  t.is(pool.freeCount, 1);
});

test('the smallest free buffer that fits is lent', (t) => {
  const pool = new FramePool({ bufferBytesMax: 1024 * 1024, buffersMax: 2 });
  const big = pool.allocate(900_000);
  const medium = pool.allocate(100_000);
  pool.release(big);
  pool.release(medium);
  t.is(pool.allocate(90_000).buffer, medium.buffer);
  t.is(pool.allocate(800_000).buffer, big.buffer);
});
