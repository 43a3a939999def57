/**
 * Reused memory for large outgoing frames: the client's Produce requests and record
 * batches, the broker's Fetch answers (stored batches copied once, into the frame). On the
 * machines this project runs on, writing into freshly allocated memory costs far more than
 * copying into memory already in use (page faults: in a producer profile about 9 ns a byte
 * into a fresh frame against well under 1 ns into a reused one), and every fresh frame also
 * leaves its size of external memory to the garbage collector.
 *
 * A frame's buffer comes back only once the socket has written it (the send's callback):
 * until then the socket may still read it. Frames below `pooledFrameBytesMin`, larger than
 * `bufferBytesMax`, or wanted while the pool has lent all of its `buffersMax` buffers get
 * ordinary memory left to the garbage collector, so the pool never holds more than
 * `buffersMax × bufferBytesMax`.
 */
import { assert } from '../record-batch/assert.ts';

/** Pool buffers are sized in steps of this (powers of two below it), so similar sizes share. */
const bufferGrainBytes = 64 * 1024;
const bufferBytesMin = 4 * 1024;

function bufferSizeFor(bytes: number): number {
  if (bytes > bufferGrainBytes) return Math.ceil(bytes / bufferGrainBytes) * bufferGrainBytes;
  let size = bufferBytesMin;
  while (size < bytes) size *= 2;
  return size;
}

export interface FramePoolLimits {
  /** The largest buffer the pool keeps; larger frames are allocated afresh. */
  readonly bufferBytesMax: number;
  /** How many buffers the pool owns at most (free and lent together). */
  readonly buffersMax: number;
  /**
   * Frames below this get ordinary memory (0: every frame is pooled). Small frames come
   * cheaply from Node's slab or malloc's free lists and would only take large buffers
   * away from the frames that need them.
   */
  readonly pooledFrameBytesMin?: number;
}

export class FramePool {
  private readonly free: Buffer[] = [];
  private readonly lent = new WeakMap<Uint8Array, Buffer>();
  private ownedCount = 0;
  private readonly pooledFrameBytesMin: number;

  constructor(readonly limits: FramePoolLimits) {
    assert(Number.isSafeInteger(limits.bufferBytesMax), 'pool buffers have a size');
    assert(limits.bufferBytesMax > 0, 'pool buffers have a size');
    assert(Number.isSafeInteger(limits.buffersMax) && limits.buffersMax >= 0, 'a bounded pool');
    this.pooledFrameBytesMin = limits.pooledFrameBytesMin ?? 0;
    assert(Number.isSafeInteger(this.pooledFrameBytesMin), 'a pooled frame minimum is a size');
  }

  /** Memory for a frame of exactly `bytes`: pooled when it fits, fresh otherwise. */
  readonly allocate = (bytes: number): Buffer => {
    assert(Number.isSafeInteger(bytes) && bytes >= 0, 'a frame has a size');
    if (bytes < this.pooledFrameBytesMin || bytes > this.limits.bufferBytesMax)
      return Buffer.allocUnsafe(bytes);
    let backing = this.takeFree(bytes);
    if (backing === undefined) {
      if (this.ownedCount >= this.limits.buffersMax) return Buffer.allocUnsafe(bytes);
      backing = Buffer.allocUnsafeSlow(Math.min(this.limits.bufferBytesMax, bufferSizeFor(bytes)));
      this.ownedCount += 1;
    }
    assert(backing.byteLength >= bytes, 'a pooled buffer fits the frame');
    const frame = backing.subarray(0, bytes);
    this.lent.set(frame, backing);
    return frame;
  };

  /**
   * The smallest free buffer of at least `bytes` (so large buffers stay for large frames);
   * when none fits, a smaller free one is dropped for it.
   */
  private takeFree(bytes: number): Buffer | undefined {
    let fitting = -1;
    this.free.forEach((buffer, index) => {
      if (buffer.byteLength < bytes) return;
      if (fitting < 0 || buffer.byteLength < (this.free[fitting] as Buffer).byteLength)
        fitting = index;
    });
    if (fitting >= 0) return this.free.splice(fitting, 1)[0];
    if (this.free.pop() !== undefined) this.ownedCount -= 1; // the garbage collector has it
    return undefined;
  }

  /** The frame was written: its memory may be reused. Frames not lent by the pool are ignored. */
  release(frame: Uint8Array): void {
    const backing = this.lent.get(frame);
    if (backing === undefined) return;
    this.lent.delete(frame);
    this.free.push(backing);
    assert(this.free.length <= this.ownedCount, 'the pool holds only its own buffers');
  }

  /** The frame may still be read by someone: the pool forgets it (and may allocate another). */
  discard(frame: Uint8Array): void {
    if (this.lent.delete(frame)) this.ownedCount -= 1;
  }

  /** Buffers the pool owns (free or lent). */
  get owned(): number {
    return this.ownedCount;
  }

  /** Buffers free for the next frame. */
  get freeCount(): number {
    return this.free.length;
  }
}
