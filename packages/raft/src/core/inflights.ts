/**
 * The window of appends a leader has sent to one follower and not yet seen acknowledged:
 * a ring of (last index, bytes) pairs bounded both in count and in bytes. When it is full
 * the leader stops sending to that follower until acknowledgements free room, so a slow
 * follower costs bounded memory and bandwidth.
 */
import { assert } from './assert.ts';

export class Inflights {
  readonly countMax: number;
  readonly bytesMax: number;
  private readonly indexes: Float64Array;
  private readonly sizes: Float64Array;
  private start = 0;
  private length = 0;
  private totalBytes = 0;

  constructor(countMax: number, bytesMax: number) {
    assert(Number.isSafeInteger(countMax) && countMax >= 1, 'inflights: countMax must be >= 1');
    assert(bytesMax >= 1, 'inflights: bytesMax must be >= 1');
    this.countMax = countMax;
    this.bytesMax = bytesMax;
    this.indexes = new Float64Array(countMax);
    this.sizes = new Float64Array(countMax);
  }

  get count(): number {
    return this.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  full(): boolean {
    return this.length >= this.countMax || this.totalBytes >= this.bytesMax;
  }

  /** Records an append ending at `index`; indexes must increase. */
  add(index: number, bytes: number): void {
    assert(!this.full(), 'inflights: add to a full window');
    if (this.length > 0) {
      const last = this.indexes[(this.start + this.length - 1) % this.countMax] as number;
      if (index <= last)
        assert(false, `inflights: index ${index} not above last in flight ${last}`);
    }
    const at = (this.start + this.length) % this.countMax;
    this.indexes[at] = index;
    this.sizes[at] = bytes;
    this.length++;
    this.totalBytes += bytes;
  }

  /** Frees every append ending at or below `index` (they were acknowledged). */
  freeLE(index: number): void {
    while (this.length > 0 && (this.indexes[this.start] as number) <= index) this.freeFirst();
  }

  /** Frees the oldest append, so that one more may be sent after a suspected loss. */
  freeFirstOne(): void {
    if (this.length > 0) this.freeFirst();
  }

  reset(): void {
    this.start = 0;
    this.length = 0;
    this.totalBytes = 0;
  }

  private freeFirst(): void {
    this.totalBytes -= this.sizes[this.start] as number;
    this.start = (this.start + 1) % this.countMax;
    this.length--;
    if (this.length === 0) {
      this.start = 0;
      this.totalBytes = 0;
    }
  }
}
