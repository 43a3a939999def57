/**
 * The newest batches of a partition log, kept in memory (by reference, as appended) up to
 * a byte budget, so readers at the tail, which is where consumers that keep up read, are
 * answered without waiting for the writer to reach the file and without reading it back
 * through the thread pool, where reads queue behind fsyncs.
 *
 * It holds a contiguous run of the log's newest batches in offset order: whoever changes
 * the log other than by a plain append (a copied batch, truncation, a roll) clears it or
 * cuts it back first, so a read from it answers exactly what a read of the files would.
 */
import { assert } from './assert.ts';

interface CachedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly bytes: Uint8Array;
}

export interface TailRead {
  readonly batches: Uint8Array[];
  readonly sizeBytes: number;
  readonly nextOffset: number;
}

export class TailCache {
  /** Batches in offset order; those before `first` are evicted (compacted away lazily). */
  private batches: CachedBatch[] = [];
  private first = 0;
  private cachedBytes = 0;

  constructor(private readonly capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, 'bad tail cache size');
  }

  get sizeBytes(): number {
    return this.cachedBytes;
  }

  /** Appends the log's new last batch; evicts the oldest beyond the budget. */
  add(baseOffset: number, lastOffset: number, bytes: Uint8Array): void {
    if (this.capacityBytes === 0) return;
    const last = this.batches[this.batches.length - 1];
    // Contiguous by construction (see the class comment); should a gap ever appear, start
    // over rather than answer a read across it.
    if (last !== undefined && baseOffset !== last.lastOffset + 1) this.clear();
    this.batches.push({ baseOffset, lastOffset, bytes });
    this.cachedBytes += bytes.byteLength;
    while (this.cachedBytes > this.capacityBytes && this.first < this.batches.length) {
      this.cachedBytes -= (this.batches[this.first] as CachedBatch).bytes.byteLength;
      this.batches[this.first] = undefined as unknown as CachedBatch;
      this.first += 1;
    }
    if (this.first > 1024 && this.first * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.first);
      this.first = 0;
    }
  }

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (at least one), or
   * undefined when the cache does not reach back to `offset` or holds nothing after it.
   */
  read(offset: number, maxBytes: number): TailRead | undefined {
    const oldest = this.batches[this.first];
    if (oldest === undefined || offset < oldest.baseOffset) return undefined;
    let index = this.indexHolding(offset);
    if (index === undefined) return undefined;
    const batches: Uint8Array[] = [];
    let sizeBytes = 0;
    let nextOffset = offset;
    for (; index < this.batches.length; index++) {
      const batch = this.batches[index] as CachedBatch;
      if (batches.length > 0 && sizeBytes + batch.bytes.byteLength > maxBytes) break;
      batches.push(batch.bytes);
      sizeBytes += batch.bytes.byteLength;
      nextOffset = batch.lastOffset + 1;
      if (sizeBytes >= maxBytes) break;
    }
    return { batches, sizeBytes, nextOffset };
  }

  /** The index of the batch whose range holds `offset` (binary search), if cached. */
  private indexHolding(offset: number): number | undefined {
    let low = this.first;
    let high = this.batches.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const batch = this.batches[middle] as CachedBatch;
      if (batch.lastOffset < offset) low = middle + 1;
      else if (batch.baseOffset > offset) high = middle - 1;
      else return middle;
    }
    return undefined;
  }

  /** Drops every batch at or after `offset` (a truncation, which cuts between batches). */
  truncateFrom(offset: number): void {
    while (this.batches.length > this.first) {
      const last = this.batches[this.batches.length - 1] as CachedBatch;
      if (last.lastOffset < offset) break;
      this.batches.pop();
      this.cachedBytes -= last.bytes.byteLength;
    }
    if (this.batches.length === this.first) this.clear();
  }

  clear(): void {
    this.batches = [];
    this.first = 0;
    this.cachedBytes = 0;
  }
}
