/** The pool of outgoing frame buffers: reuse after release only, and fresh memory beyond it. */
import test from 'ava';
import { FramePool } from '../../src/transport/frame-pool.ts';

test('a released frame buffer is reused; one still lent out never is', (t) => {
  const pool = new FramePool(1024, 2);
  const first = pool.allocate(100);
  const second = pool.allocate(200);
  t.is(first.byteLength, 100);
  t.is(second.byteLength, 200);
  t.not(first.buffer, second.buffer, 'two frames in flight never share memory');
  const third = pool.allocate(300);
  t.is(pool.allocated, 2, 'the pool is bounded: the third frame is fresh memory');
  t.not(third.buffer, first.buffer);
  t.not(third.buffer, second.buffer);
  pool.release(first);
  const reused = pool.allocate(50);
  t.is(reused.buffer, first.buffer, 'released memory comes back');
  pool.release(third); // not from the pool: ignored
  pool.release(first); // already released: ignored, not pooled twice
  const next = pool.allocate(10);
  t.not(next.buffer, reused.buffer, 'memory released twice is not lent twice');
  t.is(pool.allocated, 2);
});

test('a frame larger than the pool buffers gets its own memory', (t) => {
  const pool = new FramePool(1024, 4);
  const large = pool.allocate(4096);
  t.is(large.byteLength, 4096);
  t.is(pool.allocated, 0);
  pool.release(large);
  t.is(pool.allocate(10).byteLength, 10);
  t.is(pool.allocated, 1);
});
