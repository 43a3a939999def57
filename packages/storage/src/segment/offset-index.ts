/**
 * A segment's sparse offset index in memory: (relative offset, file position) pairs, one
 * per `indexIntervalBytes` of batches, both strictly increasing. A lookup finds where to
 * start reading for an offset; the frames from there are scanned, never trusted blindly.
 * Memory is bounded by the segment size over the interval (8 bytes an entry).
 */
import { assert } from '../assert.ts';
import { offsetIndexEntryBytes } from '../format/index-file.ts';

const initialCapacity = 16;

export class OffsetIndex {
  readonly baseOffset: number;
  private relativeOffsets = new Uint32Array(initialCapacity);
  private positions = new Uint32Array(initialCapacity);
  count = 0;

  constructor(baseOffset: number) {
    this.baseOffset = baseOffset;
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (!(relative >= 0 && relative <= 0xffff_ffff))
      assert(false, `offset ${offset} outside the segment`);
    if (!(position >= 0 && position <= 0xffff_ffff))
      assert(false, `position ${position} outside 32 bits`);
    if (this.count > 0) {
      assert(relative > this.relativeOffsets[this.count - 1]!, 'index offsets increase');
      assert(position > this.positions[this.count - 1]!, 'index positions increase');
    }
    if (this.count === this.positions.length) this.grow();
    this.relativeOffsets[this.count] = relative;
    this.positions[this.count] = position;
    this.count += 1;
  }

  private grow(): void {
    const offsets = new Uint32Array(this.count * 2);
    const positions = new Uint32Array(this.count * 2);
    offsets.set(this.relativeOffsets);
    positions.set(this.positions);
    this.relativeOffsets = offsets;
    this.positions = positions;
  }

  /** Index of the last entry whose offset is at most `offset`, or -1. */
  private floorEntry(offset: number): number {
    const relative = offset - this.baseOffset;
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.relativeOffsets[middle]! <= relative) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** File position of a batch starting at or before `offset` (0 when none is indexed). */
  floorPosition(offset: number): number {
    const entry = this.floorEntry(offset);
    return entry === -1 ? 0 : this.positions[entry]!;
  }

  get memoryBytes(): number {
    return this.positions.byteLength * 2;
  }

  /** Big-endian entries for the index file. */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.count * offsetIndexEntryBytes);
    const view = new DataView(bytes.buffer);
    for (let entry = 0; entry < this.count; entry++) {
      view.setUint32(entry * 8, this.relativeOffsets[entry]!);
      view.setUint32(entry * 8 + 4, this.positions[entry]!);
    }
    return bytes;
  }

  /** Loads stored entries; null when they are not increasing or point past the log. */
  static fromBytes(
    baseOffset: number,
    bytes: Uint8Array,
    logSizeBytes: number,
  ): OffsetIndex | null {
    const index = new OffsetIndex(baseOffset);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let previousOffset = -1;
    let previousPosition = -1;
    for (let at = 0; at < bytes.length; at += offsetIndexEntryBytes) {
      const relative = view.getUint32(at);
      const position = view.getUint32(at + 4);
      if (relative <= previousOffset || position <= previousPosition) return null;
      if (position >= logSizeBytes) return null;
      index.append(baseOffset + relative, position);
      previousOffset = relative;
      previousPosition = position;
    }
    return index;
  }
}
