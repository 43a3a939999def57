/**
 * One segment of a partition log: a file of framed batches covering offsets from its base
 * offset up to the next segment's. Only the last segment is active (appended to); the
 * others are sealed and never change except by a compaction swap. A sealed segment keeps
 * its summary in memory always, and its file handle and sparse indexes only while loaded
 * (the log bounds how many are loaded at once).
 */

import { segmentFileName } from '../format/segment-files.ts';
import type { FileHandle } from '../fs/file-system.ts';
import { joinPath } from '../fs/file-system.ts';
import type { SegmentIndexes } from './segment-indexes.ts';

export class Segment {
  readonly baseOffset: number;
  readonly directory: string;
  /** Bytes of frames in this segment, including frames still queued for the writer. */
  sizeBytes: number;
  /** Bytes the file holds; reads never go past it. */
  writtenBytes: number;
  /** One past the last offset of the segment's last batch (baseOffset when empty). */
  nextOffset: number;
  /** Largest batch maxTimestamp; -1 when the segment holds no batch. */
  maxTimestamp: number;
  /** When the segment received its first append while active, for roll by age. */
  firstAppendMs: number | null = null;
  handle: FileHandle | null = null;
  indexes: SegmentIndexes | null = null;
  /** Readers (and the compactor) holding the handle; it closes only when none remain. */
  references = 0;
  /** Removed from the log; the handle closes once the last reference is released. */
  retired = false;
  /** Bumped when the segment's contents change in place (truncation). */
  generation = 0;
  /** An in-flight load of the handle and indexes, shared by concurrent readers. */
  loading: Promise<void> | null = null;

  constructor(init: {
    baseOffset: number;
    directory: string;
    sizeBytes: number;
    nextOffset: number;
    maxTimestamp: number;
  }) {
    this.baseOffset = init.baseOffset;
    this.directory = init.directory;
    this.sizeBytes = init.sizeBytes;
    this.writtenBytes = init.sizeBytes;
    this.nextOffset = init.nextOffset;
    this.maxTimestamp = init.maxTimestamp;
  }

  get logPath(): string {
    return joinPath(this.directory, segmentFileName(this.baseOffset, 'log'));
  }

  get logFileName(): string {
    return segmentFileName(this.baseOffset, 'log');
  }

  get isLoaded(): boolean {
    return this.handle !== null && this.indexes !== null;
  }
}
