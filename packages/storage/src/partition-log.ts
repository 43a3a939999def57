/**
 * The log of one partition on disk: a directory of segments of framed record batches.
 *
 * - `append` checks a batch (header, sizes, CRC-32C), gives it the next offsets by stamping
 *   its base offset (outside the CRC), frames it with its xxhash64 and queues it for the
 *   writer; it returns once queued, and the batch is readable from then on. Nothing is
 *   durable until `flush()` returns (`durableOffset` says how far it is).
 * - `read` returns whole stored batches, as bytes, with no per-record work.
 * - Roll by size and age, `truncateTo`, retention and compaction change the set of
 *   segments; recovery on `open` repairs what a crash left (see recovery.ts).
 *
 * Any failure of the disk, and any corruption found, fences the log: every later call
 * raises LogFencedError carrying the cause. A fenced log never serves possibly wrong data.
 */
import {
  batchFrameHeaderBytes,
  checkBatchCrc,
  checkRecordBatch,
  encodeBatchFrameHeader,
  initChecksums,
  ProtocolError,
  RecordBatchTooLargeError,
  type RecordBatchView,
  stampBaseOffset,
} from '@tributary/protocol';
import { assert, assertOffset } from './assert.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { type Clock, systemClock } from './clock.ts';
import { type CompactionResult, runCompaction } from './compaction/compactor.ts';
import { compacts, deletesByRetention, type LogConfig, resolveLogConfig } from './config.ts';
import {
  BatchTooLargeError,
  InvalidBatchError,
  LogClosedError,
  LogFencedError,
  OffsetOutOfRangeError,
  StorageError,
  StorageIoError,
} from './errors.ts';
import { cleanShutdownFileName, segmentFileName } from './format/segment-files.ts';
import { type FileSystem, joinPath } from './fs/file-system.ts';
import { nodeFileSystem } from './fs/node-file-system.ts';
import { segmentOffsetSpanMax } from './limits.ts';
import { LogSegments } from './log-segments.ts';
import { LogWriter } from './log-writer.ts';
import { type ReadBufferPool, sharedReadBufferPool } from './read-buffer-pool.ts';
import { findTimestamp, readSegmentBatches, type TimestampHit } from './read-path.ts';
import { type RecoveryReport, recoverLog } from './recovery.ts';
import { segmentsToDelete } from './retention.ts';
import { Segment } from './segment/segment.ts';
import { SegmentIndexes } from './segment/segment-indexes.ts';
import { deleteSeal, writeSeal } from './segment/segment-seal.ts';
import { TailCache } from './tail-cache.ts';
import { cutLog } from './truncation.ts';

export interface PartitionLogOptions {
  readonly directory: string;
  readonly fileSystem?: FileSystem;
  readonly clock?: Clock;
  readonly config?: Partial<LogConfig>;
  /** Base offset of the first segment of a new, empty log. */
  readonly initialOffset?: number;
  /** Awaited by compaction between batches so it never holds up appends and reads. */
  readonly compactionYield?: () => Promise<void>;
  /** Where reads take their buffers (default: one pool shared by the process's logs). */
  readonly readBufferPool?: ReadBufferPool;
}

export interface AppendOptions {
  /**
   * The batch's CRC-32C was checked already and the bytes have been under another
   * checksum since (a Raft entry's frame): skip checking it again. Header checks remain.
   */
  readonly crcAlreadyVerified?: boolean;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface ReadResult {
  /**
   * Whole stored batches (views into read buffers), in offset order. They stay as read for
   * as long as the caller holds them, unless it calls `release`.
   */
  readonly batches: Uint8Array[];
  readonly sizeBytes: number;
  /** Where the next read should start: one past the last returned batch. */
  readonly nextOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * Optional: gives the memory behind `batches` back, for later reads to reuse (which makes
   * them cheaper). Call it only when nothing will read `batches`, or any view or copy by
   * reference of them, again: their bytes may be overwritten from then on. Calling it twice
   * is a programmer error. A result never released is garbage collected as usual.
   */
  readonly release: () => void;
}

/** `release` of a result that holds no pooled memory (empty, or from the tail cache). */
const nothingToRelease = () => {};

/** `release` for a result whose batches are views of `buffers`, lent by `pool`. */
function releaseOnce(pool: ReadBufferPool, buffers: readonly Uint8Array[]): () => void {
  if (buffers.length === 0) return nothingToRelease;
  let released = false;
  return () => {
    assert(!released, 'a read result released twice');
    released = true;
    for (const buffer of buffers) pool.give(buffer);
  };
}

export interface RetentionResult {
  readonly segmentsDeleted: number;
  readonly bytesDeleted: number;
  readonly logStartOffset: number;
}

export interface SegmentInfo {
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly sizeBytes: number;
  readonly maxTimestamp: number;
  readonly active: boolean;
  /** Memory held by its loaded sparse indexes (0 when not loaded). */
  readonly indexBytes: number;
}

/**
 * How much the writer writes between background writebacks: `writebackBytes`, or a quarter
 * segment when that is less (which also makes the simulated-disk tests, with their tiny
 * segments, run it often); 0 when off.
 */
function writebackBytesFor(config: LogConfig): number {
  if (config.writebackBytes === 0) return 0;
  return Math.max(1, Math.min(config.writebackBytes, Math.floor(config.segmentBytes / 4)));
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class PartitionLog {
  readonly directory: string;
  readonly config: LogConfig;
  readonly recovery: RecoveryReport;
  private readonly fs: FileSystem;
  private readonly clock: Clock;
  private readonly writer: LogWriter;
  private readonly checkpoint: CheckpointStore;
  private readonly segments: LogSegments;
  private readonly compactionYield: () => Promise<void>;
  private readonly readBuffers: ReadBufferPool;
  private nextOffset: number;
  private durable: number;
  private fencedBy: StorageError | null = null;
  private readonly fenceListeners: ((cause: StorageError) => void)[] = [];
  private readonly tail: TailCache;
  private closing = false;
  private closed = false;
  private compaction: Promise<CompactionResult> | null = null;
  /** Compaction has mapped every key below this offset (in this process's lifetime). */
  private firstDirtyOffset: number;
  private truncationCount = 0;

  private constructor(init: {
    directory: string;
    config: LogConfig;
    fs: FileSystem;
    clock: Clock;
    segments: Segment[];
    checkpoint: CheckpointStore;
    recovery: RecoveryReport;
    compactionYield: () => Promise<void>;
    readBuffers: ReadBufferPool;
  }) {
    this.directory = init.directory;
    this.config = init.config;
    this.fs = init.fs;
    this.clock = init.clock;
    this.checkpoint = init.checkpoint;
    this.recovery = init.recovery;
    this.compactionYield = init.compactionYield;
    this.readBuffers = init.readBuffers;
    this.segments = new LogSegments(init.fs, init.config, init.segments);
    this.tail = new TailCache(init.config.tailCacheBytes);
    this.writer = new LogWriter({
      bufferBytesMax: init.config.appendBufferBytesMax,
      writebackBytes: writebackBytesFor(init.config),
      onWriteFailure: (error) => this.fence(error),
    });
    const active = this.segments.active;
    this.nextOffset = active.nextOffset;
    this.durable = active.nextOffset;
    this.firstDirtyOffset = this.segments.logStartOffset;
    if (active.sizeBytes > 0) active.firstAppendMs = init.clock.nowMs();
  }

  /** Opens (creating if needed) and recovers the log in `options.directory`. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const config = resolveLogConfig(options.config);
    const initialOffset = options.initialOffset ?? 0;
    assertOffset(initialOffset, 'initial offset');
    await initChecksums();
    const fs = options.fileSystem ?? nodeFileSystem;
    let recovered: Awaited<ReturnType<typeof recoverLog>>;
    try {
      recovered = await recoverLog(fs, options.directory, config, { initialOffset });
    } catch (error) {
      if (error instanceof StorageError) throw error;
      throw new StorageIoError(`recovery of ${options.directory} failed`, error);
    }
    return new PartitionLog({
      directory: options.directory,
      config,
      fs,
      clock: options.clock ?? systemClock,
      segments: recovered.segments,
      checkpoint: recovered.checkpoint,
      recovery: recovered.report,
      compactionYield: options.compactionYield ?? yieldToEventLoop,
      readBuffers: options.readBufferPool ?? sharedReadBufferPool,
    });
  }

  get logStartOffset(): number {
    return this.segments.logStartOffset;
  }

  /** One past the last appended offset (appended batches are readable at once). */
  get logEndOffset(): number {
    return this.nextOffset;
  }

  /** Every offset below this is on disk, fdatasync'ed, and survives a crash. */
  get durableOffset(): number {
    return this.durable;
  }

  get sizeBytes(): number {
    return this.segments.sizeBytes;
  }

  /** The error that fenced the log, or null while it serves. */
  get fenced(): StorageError | null {
    return this.fencedBy;
  }

  /**
   * Calls `listener` once, when the log is fenced (at once if it is already): whatever
   * fenced it (a failed read, write or flush, found corruption), the owner may have to act,
   * e.g. a partition replica leaving its Raft group.
   */
  onFenced(listener: (cause: StorageError) => void): void {
    if (this.fencedBy !== null) listener(this.fencedBy);
    else this.fenceListeners.push(listener);
  }

  segmentInfo(): SegmentInfo[] {
    const active = this.segments.active;
    return this.segments.list.map((segment) => ({
      baseOffset: segment.baseOffset,
      nextOffset: segment.nextOffset,
      sizeBytes: segment.sizeBytes,
      maxTimestamp: segment.maxTimestamp,
      active: segment === active,
      indexBytes: segment.indexes?.memoryBytes ?? 0,
    }));
  }

  private checkUsable(): void {
    if (this.fencedBy !== null) throw new LogFencedError(this.directory, this.fencedBy);
    if (this.closed || this.closing) throw new LogClosedError(this.directory);
  }

  private fence(error: unknown): StorageError {
    const cause =
      error instanceof StorageError
        ? error
        : new StorageIoError('file system operation failed', error);
    if (this.fencedBy === null) {
      this.fencedBy = cause;
      this.writer.fail(new LogFencedError(this.directory, cause));
      for (const listener of this.fenceListeners.splice(0)) listener(cause);
    }
    return cause;
  }

  /** Runs a change in the writer's order; a fatal failure fences the log. */
  private runMutation<T>(run: () => Promise<T>): Promise<T> {
    return this.writer.runTask(async () => {
      try {
        return await run();
      } catch (error) {
        if (error instanceof StorageError && !error.fatal) throw error;
        throw this.fence(error);
      }
    });
  }

  /**
   * Changes the settings that may change on a live log (retention, roll, cleanup policy,
   * tombstone lifetime), from then on. Sizes that shape what is already stored
   * (`maxBatchBytes`, buffers, index interval) keep their values. Raises
   * InvalidConfigError, leaving the configuration as it was, when the result is invalid.
   */
  reconfigure(
    changes: Partial<
      Pick<
        LogConfig,
        | 'segmentBytes'
        | 'segmentMs'
        | 'retentionMs'
        | 'retentionBytes'
        | 'cleanupPolicy'
        | 'deleteRetentionMs'
      >
    >,
  ): void {
    this.checkUsable();
    const next = resolveLogConfig({ ...this.config, ...changes });
    // One configuration object is shared by the log and its segments: update it in place.
    Object.assign(this.config as { -readonly [K in keyof LogConfig]: LogConfig[K] }, {
      segmentBytes: next.segmentBytes,
      segmentMs: next.segmentMs,
      retentionMs: next.retentionMs,
      retentionBytes: next.retentionBytes,
      cleanupPolicy: next.cleanupPolicy,
      deleteRetentionMs: next.deleteRetentionMs,
    });
  }

  // ---- append ------------------------------------------------------------------------

  /** Header checks: size, lengths, magic, field ranges, at least one record. Cheap. */
  private checkBatchHeader(batch: Uint8Array): RecordBatchView {
    if (!(batch instanceof Uint8Array)) throw new InvalidBatchError('a batch must be a Uint8Array');
    if (batch.length > this.config.maxBatchBytes) {
      throw new BatchTooLargeError(batch.length, this.config.maxBatchBytes);
    }
    const view = this.asStorageError(batch, () =>
      checkRecordBatch(batch, {
        sizeBytesMax: this.config.maxBatchBytes,
        crcAlreadyVerified: true,
      }),
    );
    if (view.recordCount < 1) throw new InvalidBatchError('a batch must hold at least one record');
    return view;
  }

  /** Runs a codec check, raising the codec's refusals as this store's typed errors. */
  private asStorageError<T>(batch: Uint8Array, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof RecordBatchTooLargeError) {
        throw new BatchTooLargeError(batch.length, this.config.maxBatchBytes);
      }
      if (error instanceof ProtocolError) throw new InvalidBatchError(error.message, error);
      throw error;
    }
  }

  /**
   * After room for the frame was granted: checks the log is still usable and the batch's
   * CRC-32C (unless told it was verified), giving the room back on failure. The CRC is
   * checked here rather than before waiting for room so that appenders in a burst check
   * their batches one by one as room frees, while the writer's previous write runs, rather
   * than all at once ahead of it.
   */
  private checkReserved(
    view: RecordBatchView,
    frameBytes: number,
    crcAlreadyVerified: boolean,
  ): void {
    try {
      this.checkUsable();
      // The header was checked before waiting for room: only the CRC is left.
      if (!crcAlreadyVerified) this.asStorageError(view.bytes, () => checkBatchCrc(view));
    } catch (error) {
      this.writer.release(frameBytes);
      throw error;
    }
  }

  /**
   * Appends one record batch, taking ownership of `batch` (its base offset is rewritten in
   * place and the bytes are written later, by reference). Resolves once the batch is
   * queued and readable; raises InvalidBatchError or BatchTooLargeError, leaving the log
   * unchanged, when the batch is refused.
   */
  async append(batch: Uint8Array, options: AppendOptions = {}): Promise<AppendResult> {
    this.checkUsable();
    const view = this.checkBatchHeader(batch);
    const frameBytes = batchFrameHeaderBytes + batch.length;
    const waiting = this.writer.reserve(frameBytes);
    if (waiting !== null) {
      await waiting;
      this.writer.resumed();
    }
    this.checkReserved(view, frameBytes, options.crcAlreadyVerified ?? false);
    return this.appendReserved(batch, view, frameBytes);
  }

  /**
   * Appends a batch copied from another replica, keeping its own base offset (which may
   * lie past the log end: a compacted source has gaps). Used to rebuild a replica from a
   * leader's log; raises InvalidBatchError for a batch that would go backwards.
   */
  async appendCopied(batch: Uint8Array): Promise<AppendResult> {
    this.checkUsable();
    const view = this.checkBatchHeader(batch);
    const baseOffset = view.baseOffset;
    if (!Number.isSafeInteger(baseOffset) || baseOffset < this.nextOffset) {
      throw new InvalidBatchError(
        `copied batch at offset ${baseOffset} is below the log end ${this.nextOffset}`,
      );
    }
    const frameBytes = batchFrameHeaderBytes + batch.length;
    const waiting = this.writer.reserve(frameBytes);
    if (waiting !== null) {
      await waiting;
      this.writer.resumed();
    }
    this.checkReserved(view, frameBytes, false);
    if (baseOffset < this.nextOffset) {
      this.writer.release(frameBytes);
      throw new InvalidBatchError(
        `copied batch at offset ${baseOffset} is below the log end ${this.nextOffset}`,
      );
    }
    return this.appendReserved(batch, view, frameBytes, baseOffset);
  }

  /**
   * Moves the log end forward to `offset` without a batch, for a copy from a compacted
   * replica whose records below `offset` (after this log's end) were compacted away: the
   * copy must still end where its source's state says. A new, empty active segment starts
   * at `offset` (a segment's base offset names where it starts, so the end survives a
   * restart; the offsets between read as a compacted gap). Resolves once that segment's
   * file is durable. Raises InvalidBatchError for an offset below the log end.
   */
  async advanceCopiedEnd(offset: number): Promise<void> {
    this.checkUsable();
    if (!Number.isSafeInteger(offset) || offset < this.nextOffset) {
      throw new InvalidBatchError(`cannot move the log end ${this.nextOffset} to ${offset}`);
    }
    if (offset === this.nextOffset) return;
    const rolled = this.startRoll(offset);
    this.nextOffset = offset;
    await rolled;
    this.checkUsable();
  }

  private appendReserved(
    batch: Uint8Array,
    view: RecordBatchView,
    frameBytes: number,
    at?: number,
  ): AppendResult {
    const baseOffset = at ?? this.nextOffset;

    const lastOffset = baseOffset + view.lastOffsetDelta;
    assertOffset(lastOffset, 'last offset');
    const nowMs = this.clock.nowMs();
    if (this.shouldRoll(frameBytes, lastOffset, nowMs)) this.startRoll(baseOffset);
    stampBaseOffset(batch, baseOffset);
    const header = encodeBatchFrameHeader(batch);
    const segment = this.segments.active;
    const maxTimestamp = view.maxTimestamp;
    segment.indexes!.addBatch(segment.sizeBytes, baseOffset, frameBytes, maxTimestamp);
    segment.sizeBytes += frameBytes;
    segment.nextOffset = lastOffset + 1;
    if (maxTimestamp > segment.maxTimestamp) segment.maxTimestamp = maxTimestamp;
    segment.firstAppendMs ??= nowMs;
    this.writer.enqueueFrame(segment, header, batch);
    this.nextOffset = lastOffset + 1;
    // A copied batch may leave a gap (a compacted source): the cache holds only plain runs.
    if (at === undefined) this.tail.add(baseOffset, lastOffset, batch);
    else this.tail.clear();
    return { baseOffset, lastOffset };
  }

  private shouldRoll(frameBytes: number, lastOffset: number, nowMs: number): boolean {
    const active = this.segments.active;
    if (active.sizeBytes === 0) return false;
    if (active.sizeBytes + frameBytes > this.config.segmentBytes) return true;
    if (lastOffset - active.baseOffset > segmentOffsetSpanMax) return true;
    return active.firstAppendMs !== null && nowMs - active.firstAppendMs >= this.config.segmentMs;
  }

  /** Makes a new active segment at `baseOffset` now; its file is created by the writer. */
  private startRoll(baseOffset: number): Promise<void> {
    // Cached batches stay in the active segment: closed ones may be compacted under them.
    this.tail.clear();
    const sealed = this.segments.active;
    const next = new Segment({
      baseOffset,
      directory: this.directory,
      sizeBytes: 0,
      nextOffset: baseOffset,
      maxTimestamp: -1,
    });
    next.indexes = new SegmentIndexes(baseOffset, this.config.indexIntervalBytes);
    this.segments.list.push(next);
    this.segments.acquire(sealed);
    const done = this.runMutation(() => this.completeRoll(sealed, next)).finally(() => {
      this.segments.release(sealed);
      this.segments.noteSealed(sealed);
    });
    done.catch(() => {}); // a failure has fenced the log; callers see it on their next call
    return done;
  }

  private async completeRoll(sealed: Segment, next: Segment): Promise<void> {
    assert(sealed.handle !== null && sealed.indexes !== null, 'sealing an unloaded segment');
    await sealed.handle.datasync();
    const summary = {
      baseOffset: sealed.baseOffset,
      logSizeBytes: sealed.sizeBytes,
      nextOffset: sealed.nextOffset,
      maxTimestamp: sealed.maxTimestamp,
    };
    await writeSeal(this.fs, this.directory, summary, sealed.indexes);
    next.handle = await this.fs.open(next.logPath, 'createNew');
    await this.fs.syncDirectory(this.directory);
  }

  /** Rolls a new segment now if the active one holds anything. */
  async roll(): Promise<void> {
    this.checkUsable();
    if (this.segments.active.sizeBytes === 0) return;
    await this.startRoll(this.nextOffset);
  }

  // ---- flush -------------------------------------------------------------------------

  /** Makes everything appended so far durable; resolves with the new durable offset. */
  async flush(): Promise<number> {
    this.checkUsable();
    const target = this.nextOffset;
    return this.runMutation(async () => {
      if (this.durable >= target) return this.durable;
      // Sealed segments were fdatasync'ed when they rolled; only the active one is behind.
      await this.segments.active.handle!.datasync();
      await this.checkpoint.write(target);
      this.durable = Math.max(this.durable, target);
      return this.durable;
    });
  }

  // ---- read --------------------------------------------------------------------------

  private checkRange(offset: number): void {
    if (offset < this.logStartOffset || offset > this.nextOffset) {
      throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.nextOffset);
    }
  }

  private emptyRead(offset: number): ReadResult {
    return {
      batches: [],
      sizeBytes: 0,
      nextOffset: offset,
      logStartOffset: this.logStartOffset,
      logEndOffset: this.nextOffset,
      release: nothingToRelease,
    };
  }

  /**
   * Whole stored batches from the one holding `offset`, up to `maxBytes` of batch bytes,
   * but always at least one batch. OffsetOutOfRangeError (with the valid range) outside
   * [logStartOffset, logEndOffset]; nothing at logEndOffset.
   */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    this.checkUsable();
    assertOffset(offset, 'read offset');
    if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0))
      assert(false, `bad maxBytes ${maxBytes}`);
    let from = offset;
    for (;;) {
      this.checkUsable();
      this.checkRange(from);
      if (from === this.nextOffset) return this.emptyRead(from);
      const cached =
        from >= this.segments.active.baseOffset ? this.tail.read(from, maxBytes) : undefined;
      if (cached !== undefined) {
        return {
          ...cached,
          logStartOffset: this.logStartOffset,
          logEndOffset: this.nextOffset,
          // The cache's batches are the appended buffers themselves, not pooled memory.
          release: nothingToRelease,
        };
      }
      const context = { ...this.readContext(), pool: this.readBuffers };
      const found = await this.withSegmentFor(from, (segment, limit) =>
        readSegmentBatches(segment, { offset: from, maxBytes, limit }, context),
      );
      if (found === 'retry') continue;
      if (found.value.nextOffset !== null) {
        return {
          batches: found.value.batches,
          sizeBytes: found.value.sizeBytes,
          nextOffset: found.value.nextOffset,
          logStartOffset: this.logStartOffset,
          logEndOffset: this.nextOffset,
          release: releaseOnce(this.readBuffers, found.value.buffers),
        };
      }
      // Compaction emptied the rest of that segment: go on with the next one.
      from = Math.max(from, found.segmentEnd);
    }
  }

  private readContext() {
    return {
      indexIntervalBytes: this.config.indexIntervalBytes,
      batchBytesMax: this.config.maxBatchBytes,
    };
  }

  /**
   * Runs `use` on the loaded segment holding `offset`, inside the shared section and with a
   * reference held; 'retry' when the log changed under it (start over).
   */
  private async withSegmentFor<T>(
    offset: number,
    use: (segment: Segment, limit: number) => Promise<T>,
  ): Promise<'retry' | { value: T; segmentEnd: number }> {
    const position = this.segments.indexFor(offset);
    const segment = this.segments.list[position]!;
    const segmentEnd = this.segments.list[position + 1]?.baseOffset ?? this.nextOffset;
    const limit = segment.sizeBytes;
    if (segment.writtenBytes < limit) await this.writer.waitWritten(segment, limit);
    if (!this.segments.tryEnterShared()) {
      await this.segments.exclusiveDone();
      return 'retry';
    }
    this.segments.acquire(segment);
    try {
      if (segment.retired) return 'retry';
      try {
        await this.segments.load(segment);
      } catch (error) {
        throw this.fence(error);
      }
      if (segment.retired) return 'retry';
      try {
        return { value: await use(segment, Math.min(limit, segment.sizeBytes)), segmentEnd };
      } catch (error) {
        if (error instanceof StorageError && !error.fatal) throw error;
        throw this.fence(error);
      }
    } finally {
      this.segments.release(segment);
      this.segments.leaveShared();
    }
  }

  /** The first record whose timestamp is at least `timestamp`, or null when none is. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampHit | null> {
    this.checkUsable();
    if (!Number.isSafeInteger(timestamp)) assert(false, `bad timestamp ${timestamp}`);
    let from = this.logStartOffset;
    while (from < this.nextOffset) {
      this.checkUsable();
      if (from < this.logStartOffset) from = this.logStartOffset;
      const position = this.segments.indexFor(from);
      const segment = this.segments.list[position]!;
      const segmentEnd = this.segments.list[position + 1]?.baseOffset ?? this.nextOffset;
      if (segment.maxTimestamp < timestamp) {
        from = segmentEnd;
        continue;
      }
      const found = await this.withSegmentFor(from, (loaded, limit) =>
        findTimestamp(loaded, { target: timestamp, limit }, this.readContext()),
      );
      if (found === 'retry') continue;
      if (found.value !== null) return found.value;
      from = segmentEnd;
    }
    return null;
  }

  // ---- truncation --------------------------------------------------------------------

  /**
   * Removes every batch at or after `offset` (which must lie between batches), durably;
   * the next append gets `offset`. Used to repair a log to what the Raft layer committed.
   */
  async truncateTo(offset: number): Promise<void> {
    this.checkUsable();
    assertOffset(offset, 'truncation offset');
    const waiting = this.writer.reserveExclusive();
    if (waiting !== null) {
      await waiting;
      this.writer.resumed();
    }
    try {
      this.checkUsable();
      await this.truncateInTurn(offset);
    } finally {
      this.writer.releaseExclusive();
    }
  }

  /** Runs with every earlier append queued and every later one held back. */
  private truncateInTurn(offset: number): Promise<void> {
    return this.runMutation(async () => {
      if (offset >= this.nextOffset) return;
      if (offset < this.logStartOffset) {
        throw new OffsetOutOfRangeError(offset, this.logStartOffset, this.nextOffset);
      }
      await this.segments.enterExclusive();
      try {
        await this.truncateExclusive(offset);
      } finally {
        this.segments.leaveExclusive();
      }
    });
  }

  private async truncateExclusive(offset: number): Promise<void> {
    const cut = await cutLog(
      {
        fs: this.fs,
        directory: this.directory,
        config: this.config,
        segments: this.segments,
        checkpoint: this.checkpoint,
        durableOffset: () => this.durable,
        setDurableOffset: (durable) => {
          this.durable = durable;
        },
      },
      offset,
    );
    try {
      this.installActive(cut.segment, cut.indexes, cut.sizeBytes, offset);
    } finally {
      this.segments.release(cut.segment);
    }
  }

  /** After a cut, `segment` is the active segment, holding `sizeBytes`, ending at `endOffset`. */
  private installActive(
    segment: Segment,
    indexes: SegmentIndexes,
    sizeBytes: number,
    endOffset: number,
  ): void {
    this.segments.pin(segment);
    segment.indexes = indexes;
    segment.sizeBytes = sizeBytes;
    segment.writtenBytes = sizeBytes;
    segment.nextOffset = endOffset;
    segment.maxTimestamp = indexes.maxTimestamp;
    segment.firstAppendMs = sizeBytes > 0 ? this.clock.nowMs() : null;
    segment.generation += 1;
    this.truncationCount += 1;
    this.tail.truncateFrom(endOffset);
    this.nextOffset = endOffset;
    this.firstDirtyOffset = Math.min(this.firstDirtyOffset, endOffset);
  }

  // ---- retention ---------------------------------------------------------------------

  /** Deletes the closed segments retention.ms / retention.bytes no longer keep. */
  async applyRetention(): Promise<RetentionResult> {
    this.checkUsable();
    return this.runMutation(async () => {
      let segmentsDeleted = 0;
      let bytesDeleted = 0;
      if (deletesByRetention(this.config)) {
        const closed = this.segments.list.slice(0, -1);
        const count = segmentsToDelete(closed, this.sizeBytes, this.config, this.clock.nowMs());
        for (const segment of closed.slice(0, count)) {
          await this.deleteSegment(segment);
          segmentsDeleted += 1;
          bytesDeleted += segment.sizeBytes;
        }
      }
      this.firstDirtyOffset = Math.max(this.firstDirtyOffset, this.logStartOffset);
      return { segmentsDeleted, bytesDeleted, logStartOffset: this.logStartOffset };
    });
  }

  /** Oldest first, each durable before the next, so a crash leaves a suffix of the log. */
  private async deleteSegment(segment: Segment): Promise<void> {
    this.segments.retire(segment);
    const deleted = joinPath(this.directory, segmentFileName(segment.baseOffset, 'log', 'deleted'));
    await this.fs.rename(segment.logPath, deleted);
    await deleteSeal(this.fs, this.directory, segment.baseOffset);
    await this.fs.syncDirectory(this.directory);
    await this.fs.unlink(deleted);
  }

  // ---- compaction --------------------------------------------------------------------

  /**
   * One compaction pass over the closed segments (cleanup.policy compact or
   * compact,delete); a no-op for delete. Runs alongside appends and reads; a second call
   * while one runs joins it.
   */
  async compact(): Promise<CompactionResult> {
    this.checkUsable();
    if (!compacts(this.config)) return emptyCompaction(this.firstDirtyOffset);
    if (this.compaction === null) {
      this.compaction = runCompaction(this.compactionHost()).finally(() => {
        this.compaction = null;
      });
    }
    return this.compaction;
  }

  private compactionHost() {
    return {
      fs: this.fs,
      directory: this.directory,
      config: this.config,
      nowMs: () => this.clock.nowMs(),
      segments: this.segments,
      firstDirtyOffset: () => Math.max(this.firstDirtyOffset, this.logStartOffset),
      setFirstDirtyOffset: (offset: number) => {
        this.firstDirtyOffset = offset;
      },
      yieldControl: this.compactionYield,
      truncations: () => this.truncationCount,
      isClosing: () => this.closing || this.fencedBy !== null,
      runMutation: <T>(run: () => Promise<T>) => this.runMutation(run),
      fence: (error: unknown) => this.fence(error),
    };
  }

  // ---- close -------------------------------------------------------------------------

  /**
   * Stops compaction, flushes, seals the active segment and leaves a clean-shutdown
   * marker, so the next open trusts the seals instead of scanning.
   */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    this.closing = true;
    await this.compaction?.catch(() => {});
    if (this.fencedBy === null) {
      const target = this.nextOffset;
      await this.runMutation(() => this.closeCleanly(target));
    }
    await this.writer.writebackDone();
    await this.segments.closeAll();
    await this.checkpoint.close();
    this.closed = true;
  }

  private async closeCleanly(target: number): Promise<void> {
    const active = this.segments.active;
    await active.handle!.datasync();
    if (this.durable < target) {
      await this.checkpoint.write(target);
      this.durable = target;
    }
    const summary = {
      baseOffset: active.baseOffset,
      logSizeBytes: active.sizeBytes,
      nextOffset: active.nextOffset,
      maxTimestamp: active.maxTimestamp,
    };
    await writeSeal(this.fs, this.directory, summary, active.indexes!);
    const marker = await this.fs.open(
      joinPath(this.directory, cleanShutdownFileName),
      'createOrReplace',
    );
    await marker.close();
    await this.fs.syncDirectory(this.directory);
  }
}

function emptyCompaction(cleanedUpTo: number): CompactionResult {
  return {
    segmentsCleaned: 0,
    recordsRemoved: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    cleanedUpTo,
    aborted: false,
  };
}
