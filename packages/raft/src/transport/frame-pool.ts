/**
 * Recycled memory for outgoing frames. A frame of about a megabyte allocated afresh for
 * every send touches new pages (page faults) and leaves a megabyte of external memory for
 * the garbage collector each time; frames built in a few reused buffers do neither. A
 * buffer goes back to the pool only once the socket has written the frame (the send's
 * callback): until then the socket may still read it. Frames larger than the pool's
 * buffers, or sent while every buffer is out, are allocated afresh.
 */
import { assert } from '../durable/assert.ts';

export class FramePool {
  private readonly free: Buffer[] = [];
  private readonly lent = new WeakMap<Buffer, Buffer>();
  private allocatedCount = 0;

  constructor(
    readonly bufferBytes: number,
    readonly buffersMax: number,
  ) {
    assert(Number.isSafeInteger(bufferBytes) && bufferBytes > 0, 'pool buffers have a size');
    assert(Number.isSafeInteger(buffersMax) && buffersMax >= 0, 'pool has a bound');
  }

  /** Memory for a frame of `bytes` exactly: pooled if it fits, fresh otherwise. */
  allocate(bytes: number): Buffer {
    if (bytes > this.bufferBytes) return Buffer.allocUnsafe(bytes);
    let backing = this.free.pop();
    if (backing === undefined) {
      if (this.allocatedCount >= this.buffersMax) return Buffer.allocUnsafe(bytes);
      backing = Buffer.allocUnsafeSlow(this.bufferBytes);
      this.allocatedCount += 1;
    }
    const frame = backing.subarray(0, bytes);
    this.lent.set(frame, backing);
    return frame;
  }

  /** The frame was written: its memory may be reused (frames not from the pool are ignored). */
  release(frame: Buffer): void {
    const backing = this.lent.get(frame);
    if (backing === undefined) return;
    this.lent.delete(frame);
    this.free.push(backing);
  }

  /** Buffers allocated by the pool (for tests). */
  get allocated(): number {
    return this.allocatedCount;
  }
}
