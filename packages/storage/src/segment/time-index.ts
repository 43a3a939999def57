/**
 * A segment's sparse time index in memory. An entry (T, O) is taken at an index point: O
 * is the base offset of the batch there, and T the largest batch maxTimestamp of all
 * batches before O in the segment. T strictly increases (entries that would not raise it
 * are skipped), so for a target time t the entry with the largest T < t says: no batch
 * before O has a timestamp >= t, start looking at O. 12 bytes an entry.
 */
import { assert } from '../assert.ts';
import { timeIndexEntryBytes } from '../format/index-file.ts';

const initialCapacity = 16;

export class TimeIndex {
  readonly baseOffset: number;
  private timestamps = new Float64Array(initialCapacity);
  private relativeOffsets = new Uint32Array(initialCapacity);
  count = 0;

  constructor(baseOffset: number) {
    this.baseOffset = baseOffset;
  }

  /** Records (T, O) if T raises the last entry's timestamp; otherwise nothing. */
  maybeAppend(timestampBefore: number, offset: number): void {
    if (!Number.isSafeInteger(timestampBefore))
      assert(false, `timestamp ${timestampBefore} is not safe`);
    const relative = offset - this.baseOffset;
    if (!(relative >= 0 && relative <= 0xffff_ffff))
      assert(false, `offset ${offset} outside the segment`);
    if (this.count > 0) {
      if (timestampBefore <= this.timestamps[this.count - 1]!) return;
      assert(relative > this.relativeOffsets[this.count - 1]!, 'time index offsets increase');
    }
    if (this.count === this.timestamps.length) this.grow();
    this.timestamps[this.count] = timestampBefore;
    this.relativeOffsets[this.count] = relative;
    this.count += 1;
  }

  private grow(): void {
    const timestamps = new Float64Array(this.count * 2);
    const offsets = new Uint32Array(this.count * 2);
    timestamps.set(this.timestamps);
    offsets.set(this.relativeOffsets);
    this.timestamps = timestamps;
    this.relativeOffsets = offsets;
  }

  /** The offset to start scanning from for the first batch with maxTimestamp >= target. */
  startOffsetFor(targetTimestamp: number): number {
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.timestamps[middle]! < targetTimestamp) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found === -1 ? this.baseOffset : this.baseOffset + this.relativeOffsets[found]!;
  }

  get memoryBytes(): number {
    return this.timestamps.byteLength + this.relativeOffsets.byteLength;
  }

  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.count * timeIndexEntryBytes);
    const view = new DataView(bytes.buffer);
    for (let entry = 0; entry < this.count; entry++) {
      view.setBigInt64(entry * 12, BigInt(this.timestamps[entry]!));
      view.setUint32(entry * 12 + 8, this.relativeOffsets[entry]!);
    }
    return bytes;
  }

  /** Loads stored entries; null when they are out of order or out of range. */
  static fromBytes(baseOffset: number, bytes: Uint8Array, nextOffset: number): TimeIndex | null {
    const index = new TimeIndex(baseOffset);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const relativeLimit = Math.max(nextOffset - baseOffset, 1);
    let previousTimestamp = Number.NEGATIVE_INFINITY;
    let previousRelative = -1;
    for (let at = 0; at < bytes.length; at += timeIndexEntryBytes) {
      const timestamp = Number(view.getBigInt64(at));
      const relative = view.getUint32(at + 8);
      if (!Number.isSafeInteger(timestamp) || timestamp <= previousTimestamp) return null;
      if (relative <= previousRelative || relative >= relativeLimit) return null;
      index.maybeAppend(timestamp, baseOffset + relative);
      previousTimestamp = timestamp;
      previousRelative = relative;
    }
    return index;
  }
}
