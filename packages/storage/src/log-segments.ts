/**
 * The ordered segments of one log and who is using them. It finds the segment for an
 * offset, loads a sealed segment's file handle and indexes on demand (keeping at most
 * `loadedClosedSegmentsMax` loaded, least recently used first out), counts references so
 * a handle is never closed under a reader, and provides the one exclusive section the log
 * needs: truncation rewrites a file in place, so it waits until no reader is inside and
 * keeps new readers out while it works. Everything else that changes files (roll,
 * retention, compaction swaps) only adds, renames or unlinks, which readers never notice.
 */
import { BatchFrameStatus } from '@tributary/protocol';
import { assert } from './assert.ts';
import type { LogConfig } from './config.ts';
import { CorruptLogError } from './errors.ts';
import type { FileSystem } from './fs/file-system.ts';
import { loadedClosedSegmentsMax } from './limits.ts';
import type { Segment } from './segment/segment.ts';
import { scanSegment } from './segment/segment-scan.ts';
import { loadSeal, writeSeal } from './segment/segment-seal.ts';

export class LogSegments {
  list: Segment[];
  private readonly fs: FileSystem;
  private readonly config: LogConfig;
  private readonly loadedClosed: Segment[] = [];
  private readonly unreferencedWaiters = new Map<Segment, (() => void)[]>();
  private exclusive: Promise<void> | null = null;
  private endExclusive: (() => void) | null = null;
  private sharedCount = 0;
  private sharedDrained: (() => void) | null = null;

  constructor(fs: FileSystem, config: LogConfig, segments: Segment[]) {
    assert(segments.length > 0, 'a log has at least its active segment');
    this.fs = fs;
    this.config = config;
    this.list = segments;
  }

  get active(): Segment {
    return this.list[this.list.length - 1]!;
  }

  get logStartOffset(): number {
    return this.list[0]!.baseOffset;
  }

  get sizeBytes(): number {
    let total = 0;
    for (const segment of this.list) total += segment.sizeBytes;
    return total;
  }

  /** Position in `list` of the segment holding `offset` (the last with base <= offset). */
  indexFor(offset: number): number {
    let low = 0;
    let high = this.list.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.list[middle]!.baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  acquire(segment: Segment): void {
    segment.references += 1;
  }

  release(segment: Segment): void {
    segment.references -= 1;
    assert(segment.references >= 0, 'segment released more often than acquired');
    if (segment.references > 0) return;
    for (const wake of this.unreferencedWaiters.get(segment) ?? []) wake();
    this.unreferencedWaiters.delete(segment);
    if (segment.retired) this.closeHandle(segment);
    else this.evict();
  }

  whenUnreferenced(segment: Segment): Promise<void> {
    if (segment.references === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.unreferencedWaiters.get(segment) ?? [];
      waiters.push(resolve);
      this.unreferencedWaiters.set(segment, waiters);
    });
  }

  /** Takes `segment` out of the log; its handle closes once no one holds it. */
  retire(segment: Segment): void {
    segment.retired = true;
    this.list = this.list.filter((candidate) => candidate !== segment);
    this.forgetLoaded(segment);
    if (segment.references === 0) this.closeHandle(segment);
  }

  /** Puts `replacement` (same base offset, cleaned) where `segment` was, and retires it. */
  replace(segment: Segment, replacement: Segment): void {
    const at = this.list.indexOf(segment);
    assert(at !== -1 && replacement.baseOffset === segment.baseOffset, 'replacing in place');
    this.list[at] = replacement;
    segment.retired = true;
    this.forgetLoaded(segment);
    if (segment.references === 0) this.closeHandle(segment);
  }

  /** A sealed segment became the active one again (truncation): it stays loaded. */
  pin(segment: Segment): void {
    this.forgetLoaded(segment);
  }

  /** Makes `segment` (just sealed by a roll) count against the loaded limit. */
  noteSealed(segment: Segment): void {
    this.touch(segment);
    this.evict();
  }

  /** Ensures the handle and indexes are loaded; the caller holds a reference. */
  async load(segment: Segment): Promise<void> {
    if (segment.isLoaded) {
      if (segment !== this.active) this.touch(segment);
      return;
    }
    segment.loading ??= this.loadSealed(segment).finally(() => {
      segment.loading = null;
    });
    await segment.loading;
  }

  private async loadSealed(segment: Segment): Promise<void> {
    const handle = await this.fs.open(segment.logPath, 'readWrite');
    try {
      const expected = {
        baseOffset: segment.baseOffset,
        logSizeBytes: segment.sizeBytes,
        indexIntervalBytes: this.config.indexIntervalBytes,
      };
      const seal = await loadSeal(this.fs, segment.directory, expected);
      segment.indexes = seal?.indexes ?? (await this.rebuildSeal(segment, handle));
      segment.handle = handle;
    } catch (error) {
      await handle.close();
      throw error;
    }
    if (segment.retired) {
      this.closeHandle(segment);
      return;
    }
    this.touch(segment);
    this.evict();
  }

  /** A sealed segment whose index files went missing or bad: scan it and seal it again. */
  private async rebuildSeal(segment: Segment, handle: Segment['handle'] & object) {
    const scan = await scanSegment(handle, {
      baseOffset: segment.baseOffset,
      sizeBytes: segment.sizeBytes,
      indexIntervalBytes: this.config.indexIntervalBytes,
      batchBytesMax: this.config.maxBatchBytes,
      path: segment.logPath,
    });
    if (scan.stop.status !== BatchFrameStatus.ok) {
      throw new CorruptLogError('bad frame in a sealed segment', {
        file: segment.logPath,
        position: scan.stop.position,
      });
    }
    const summary = {
      baseOffset: segment.baseOffset,
      logSizeBytes: segment.sizeBytes,
      nextOffset: segment.nextOffset,
      maxTimestamp: segment.maxTimestamp,
    };
    await writeSeal(this.fs, segment.directory, summary, scan.indexes);
    return scan.indexes;
  }

  private touch(segment: Segment): void {
    this.forgetLoaded(segment);
    this.loadedClosed.push(segment);
  }

  private forgetLoaded(segment: Segment): void {
    const at = this.loadedClosed.indexOf(segment);
    if (at !== -1) this.loadedClosed.splice(at, 1);
  }

  private evict(): void {
    for (
      let at = 0;
      this.loadedClosed.length > loadedClosedSegmentsMax && at < this.loadedClosed.length;
    ) {
      const candidate = this.loadedClosed[at]!;
      if (candidate.references > 0 || candidate.loading !== null) {
        at += 1;
        continue;
      }
      this.loadedClosed.splice(at, 1);
      this.closeHandle(candidate);
    }
  }

  private closeHandle(segment: Segment): void {
    const handle = segment.handle;
    segment.handle = null;
    segment.indexes = null;
    // Closing can only fail on an already broken descriptor; nothing depends on it.
    handle?.close().catch(() => {});
  }

  /** Enters the shared section now if no exclusive one is running or waiting. */
  tryEnterShared(): boolean {
    if (this.exclusive !== null) return false;
    this.sharedCount += 1;
    return true;
  }

  leaveShared(): void {
    this.sharedCount -= 1;
    assert(this.sharedCount >= 0, 'left a shared section never entered');
    if (this.sharedCount === 0) this.sharedDrained?.();
  }

  /** Resolves when the current exclusive section (if any) ends. */
  exclusiveDone(): Promise<void> {
    return this.exclusive ?? Promise.resolve();
  }

  async enterExclusive(): Promise<void> {
    assert(this.exclusive === null, 'exclusive sections do not nest (the writer runs one)');
    this.exclusive = new Promise((resolve) => {
      this.endExclusive = resolve;
    });
    if (this.sharedCount > 0) {
      await new Promise<void>((resolve) => {
        this.sharedDrained = resolve;
      });
      this.sharedDrained = null;
    }
  }

  leaveExclusive(): void {
    const end = this.endExclusive;
    this.exclusive = null;
    this.endExclusive = null;
    end?.();
  }

  async closeAll(): Promise<void> {
    for (const segment of this.list) {
      const handle = segment.handle;
      segment.handle = null;
      segment.indexes = null;
      await handle?.close();
    }
    this.loadedClosed.length = 0;
  }
}
