/**
 * Recycled memory for large outgoing request frames (Produce) and for the producer's record
 * batches (see producer/batch.ts). On the machines this project
 * runs on, touching freshly allocated memory costs far more than copying into memory
 * already in use (page faults: in a producer profile, copying batches into a fresh frame
 * cost about 9 ns a byte, against well under 1 ns into a reused one), and every fresh frame
 * also leaves its size of external memory to the garbage collector. A buffer goes back to
 * the pool only once the socket has written the frame (the send's callback); until then the
 * socket may still read it. Frames larger than `bufferBytesMax`, or wanted while every
 * buffer is out, are allocated afresh (and left to the garbage collector).
 */
import { assert } from '../assert.ts';

/** Pool buffers are sized in steps of this (powers of two below it), so similar sizes share. */
const bufferGrainBytes = 64 * 1024;
const bufferBytesMin = 4 * 1024;

function bufferSizeFor(bytes: number): number {
  if (bytes > bufferGrainBytes) return Math.ceil(bytes / bufferGrainBytes) * bufferGrainBytes;
  let size = bufferBytesMin;
  while (size < bytes) size *= 2;
  return size;
}

export class FramePool {
  private readonly free: Buffer[] = [];
  private readonly lent = new WeakMap<Uint8Array, Buffer>();
  private allocatedCount = 0;

  constructor(
    readonly bufferBytesMax: number,
    readonly buffersMax: number,
  ) {
    assert(Number.isSafeInteger(bufferBytesMax) && bufferBytesMax > 0, 'pool buffers have a size');
    assert(Number.isSafeInteger(buffersMax) && buffersMax >= 0, 'the pool has a bound');
  }

  /** Memory for a frame of exactly `bytes`: pooled when it fits, fresh otherwise. */
  readonly allocate = (bytes: number): Uint8Array => {
    assert(Number.isSafeInteger(bytes) && bytes >= 0, 'a frame has a size');
    if (bytes > this.bufferBytesMax) return Buffer.allocUnsafe(bytes);
    const fitting = this.free.findIndex((buffer) => buffer.byteLength >= bytes);
    let backing: Buffer | undefined;
    if (fitting >= 0) backing = this.free.splice(fitting, 1)[0];
    else {
      // None large enough: let the garbage collector have a small one, make a larger one.
      if (this.free.pop() !== undefined) this.allocatedCount -= 1;
      if (this.allocatedCount >= this.buffersMax) return Buffer.allocUnsafe(bytes);
      const size = Math.min(this.bufferBytesMax, bufferSizeFor(bytes));
      backing = Buffer.allocUnsafeSlow(size);
      this.allocatedCount += 1;
    }
    assert(backing !== undefined && backing.byteLength >= bytes, 'a pooled buffer fits the frame');
    const frame = backing.subarray(0, bytes);
    this.lent.set(frame, backing);
    return frame;
  };

  /** The frame was written (or will never be): its memory may be reused. Others are ignored. */
  release(frame: Uint8Array): void {
    const backing = this.lent.get(frame);
    if (backing === undefined) return;
    this.lent.delete(frame);
    this.free.push(backing);
    assert(this.free.length <= this.allocatedCount, 'the pool holds only its own buffers');
  }

  /**
   * The frame's memory will not come back (something may still read it): the pool forgets
   * it, and may allocate another in its place. Frames not from the pool are ignored.
   */
  discard(frame: Uint8Array): void {
    if (!this.lent.delete(frame)) return;
    this.allocatedCount -= 1;
  }

  /** Buffers the pool allocated and still owns (tests). */
  get allocated(): number {
    return this.allocatedCount;
  }
}
