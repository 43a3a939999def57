import test from 'ava';
import { FramePool } from '../src/net/frame-pool.ts';

test('a released frame lends its memory to the next one, an unreleased frame never', (t) => {
  const pool = new FramePool(1024 * 1024, 2);
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
  t.is(pool.allocated, 2);
});

test('frames past the bound or larger than the pool buffers are fresh and not pooled', (t) => {
  const pool = new FramePool(256 * 1024, 1);
  // Past Node's 4 KiB small-buffer pool, so every fresh frame has an ArrayBuffer of its own.
  const pooled = pool.allocate(10_000);
  const overBound = pool.allocate(10_000);
  const tooLarge = pool.allocate(300 * 1024);
  t.not(overBound.buffer, pooled.buffer);
  t.is(tooLarge.byteLength, 300 * 1024);
  pool.release(overBound);
  pool.release(tooLarge);
  t.is(pool.allocated, 1);
  t.not(pool.allocate(10_000).buffer, overBound.buffer, 'a fresh frame does not join the pool');
});

test('a frame larger than every free buffer replaces one of them', (t) => {
  const pool = new FramePool(2 * 1024 * 1024, 1);
  const small = pool.allocate(1000);
  pool.release(small);
  const large = pool.allocate(600 * 1024);
  t.not(large.buffer, small.buffer);
  t.is(pool.allocated, 1);
  pool.release(large);
  t.is(pool.allocate(500 * 1024).buffer, large.buffer);
});

test('releasing twice or releasing foreign memory changes nothing', (t) => {
  const pool = new FramePool(1024 * 1024, 2);
  const frame = pool.allocate(100);
  pool.release(frame);
  pool.release(frame);
  pool.release(new Uint8Array(100));
  const a = pool.allocate(100);
  const b = pool.allocate(100);
  t.not(a.buffer, b.buffer, 'one release lends the buffer once');
});
