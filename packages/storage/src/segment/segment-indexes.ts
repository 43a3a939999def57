/**
 * The two sparse indexes of one segment, fed batch by batch as the segment grows (on
 * append, on recovery's scan, by the compactor): an index point is taken at a batch once
 * `indexIntervalBytes` of frames have passed since the last one.
 */
import { OffsetIndex } from './offset-index.ts';
import { TimeIndex } from './time-index.ts';

export class SegmentIndexes {
  readonly offsets: OffsetIndex;
  readonly times: TimeIndex;
  private readonly intervalBytes: number;
  private bytesSinceEntry = 0;
  /** Largest batch maxTimestamp seen; -1 when no batch. */
  maxTimestamp = -1;

  constructor(
    baseOffset: number,
    intervalBytes: number,
    loaded?: { offsets: OffsetIndex; times: TimeIndex; maxTimestamp: number },
  ) {
    this.offsets = loaded?.offsets ?? new OffsetIndex(baseOffset);
    this.times = loaded?.times ?? new TimeIndex(baseOffset);
    this.maxTimestamp = loaded?.maxTimestamp ?? -1;
    this.intervalBytes = intervalBytes;
  }

  /** Accounts for one framed batch written at `position`. */
  addBatch(position: number, baseOffset: number, frameBytes: number, maxTimestamp: number): void {
    if (position > 0 && this.bytesSinceEntry >= this.intervalBytes) {
      this.offsets.append(baseOffset, position);
      this.times.maybeAppend(this.maxTimestamp, baseOffset);
      this.bytesSinceEntry = 0;
    }
    this.bytesSinceEntry += frameBytes;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
  }

  get memoryBytes(): number {
    return this.offsets.memoryBytes + this.times.memoryBytes;
  }
}
