/**
 * Memory for reads, reused. A read takes a buffer from the pool, fills it from the file and
 * hands out views of it; the buffer comes back only when the caller of `read` gives it back
 * (`ReadResult.release()`), which says that nothing will look at those views again. A
 * result never released is garbage collected as usual and its buffer simply never returns:
 * so a buffer the caller may still hold is never overwritten.
 *
 * Why: every read of a fresh buffer pays for memory touched for the first time (page faults
 * while the kernel copies into it) and, for buffers of a megabyte, a full garbage collection
 * every few dozen megabytes of them; reading into memory used before costs a fraction.
 *
 * One pool may serve many logs (the default is one per process): it holds at most
 * `bytesMax` of idle buffers, whatever the number of partitions.
 */
import { assert } from './assert.ts';
import { readBufferPoolBytesMax } from './limits.ts';

/** Buffers are sized in these steps, so that reads of slightly different sizes share them. */
const sizeStepBytes = 64 * 1024;

export class ReadBufferPool {
  private readonly bytesMax: number;
  /** Idle buffers (each its own ArrayBuffer), smallest first. */
  private readonly idle: Uint8Array[] = [];
  private idleBytes = 0;
  private reusedCount = 0;
  /** Buffers handed out by `take` and not yet given back (the buffers' ArrayBuffers). */
  private readonly lent = new WeakSet<ArrayBufferLike>();

  constructor(options: { bytesMax?: number } = {}) {
    this.bytesMax = options.bytesMax ?? readBufferPoolBytesMax;
    assert(Number.isSafeInteger(this.bytesMax) && this.bytesMax >= 0, 'bad read pool size');
  }

  /** Bytes of idle buffers held for reuse. */
  get pooledBytes(): number {
    return this.idleBytes;
  }

  /** How many times `take` handed out a buffer given back earlier (for tests and metrics). */
  get reuses(): number {
    return this.reusedCount;
  }

  /** A buffer of exactly `bytes` (a view of a pooled or new buffer), now the taker's. */
  take(bytes: number): Uint8Array {
    if (!(Number.isSafeInteger(bytes) && bytes > 0)) assert(false, `bad read buffer size ${bytes}`);
    const at = this.idle.findIndex((buffer) => buffer.byteLength >= bytes);
    let buffer: Uint8Array;
    if (at === -1) {
      // Uninitialised: only bytes the file filled are ever handed out.
      buffer = Buffer.allocUnsafeSlow(Math.ceil(bytes / sizeStepBytes) * sizeStepBytes);
    } else {
      buffer = this.idle.splice(at, 1)[0]!;
      this.idleBytes -= buffer.byteLength;
      this.reusedCount += 1;
    }
    this.lent.add(buffer.buffer);
    return buffer.subarray(0, bytes);
  }

  /**
   * Takes back a buffer from `take` (any view of it) that no one will read again. Giving
   * back a buffer twice, or one the pool never lent, is a programmer error.
   */
  give(view: Uint8Array): void {
    const memory = view.buffer;
    assert(this.lent.has(memory), 'gave back a read buffer that was not lent (twice?)');
    this.lent.delete(memory);
    if (this.idleBytes + memory.byteLength > this.bytesMax) return;
    const buffer = new Uint8Array(memory);
    let at = this.idle.findIndex((other) => other.byteLength >= buffer.byteLength);
    if (at === -1) at = this.idle.length;
    this.idle.splice(at, 0, buffer);
    this.idleBytes += buffer.byteLength;
  }
}

/** The pool logs use unless handed one. */
export const sharedReadBufferPool = new ReadBufferPool();
