/**
 * The one writer of a partition log. Appends put their framed batch in its queue and
 * return; the writer drains the queue in order, handing every run of consecutive frames
 * for one segment to a single vectored write (no copy of the batches), so many small
 * appends cost one system call. Everything else that changes files (roll, flush,
 * truncation, retention, a compaction swap) runs as a task in the same queue, so no two
 * changes ever interleave.
 *
 * The queue is bounded by bytes: `reserve` grants room at once while there is room and no
 * one is waiting, and otherwise queues the caller; waiters are granted in arrival order, so
 * appends keep their call order even when they had to wait. Room is given back when a write
 * is handed to the kernel, not when it completes, so appenders fill the queue again (CRC,
 * xxhash64) while the write runs in the thread pool instead of taking turns with it; so at
 * most `bufferBytesMax` is queued and at most as much again is in the one write in flight. `reserveExclusive` (for
 * truncation) waits its turn in the same line, until every earlier append has queued its
 * frame, and then holds every later one until `releaseExclusive`.
 */
import { assert } from './assert.ts';
import { writevBuffersMax } from './limits.ts';
import type { Segment } from './segment/segment.ts';

interface FramesItem {
  readonly kind: 'frames';
  readonly segment: Segment;
  readonly buffers: Uint8Array[];
  bytes: number;
}

interface TaskItem {
  readonly kind: 'task';
  readonly run: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface RoomWaiter {
  readonly bytes: number;
  readonly exclusive: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface WrittenWaiter {
  readonly segment: Segment;
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class LogWriter {
  private readonly queue: (FramesItem | TaskItem)[] = [];
  private readonly bufferBytesMax: number;
  private readonly onWriteFailure: (error: unknown) => void;
  private reservedBytes = 0;
  private running = false;
  private failure: unknown = null;
  private readonly roomWaiters: RoomWaiter[] = [];
  /** Waiters granted room whose continuation has not run yet; they still go first. */
  private grantedNotResumed = 0;
  private held = false;
  private writtenWaiters: WrittenWaiter[] = [];
  /** Bytes written between background writebacks (0: none). */
  private readonly writebackBytes: number;
  /** The background fdatasync in flight, if any; every task waits for it first. */
  private writeback: Promise<void> | null = null;
  private writtenSinceWriteback = 0;

  constructor(options: {
    bufferBytesMax: number;
    writebackBytes?: number;
    onWriteFailure: (error: unknown) => void;
  }) {
    this.bufferBytesMax = options.bufferBytesMax;
    this.writebackBytes = options.writebackBytes ?? 0;
    this.onWriteFailure = options.onWriteFailure;
  }

  get queuedBytes(): number {
    return this.reservedBytes;
  }

  private fits(bytes: number): boolean {
    return this.reservedBytes === 0 || this.reservedBytes + bytes <= this.bufferBytesMax;
  }

  private lineIsEmpty(): boolean {
    return !this.held && this.roomWaiters.length === 0 && this.grantedNotResumed === 0;
  }

  private wait(bytes: number, exclusive: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.roomWaiters.push({ bytes, exclusive, resolve, reject });
    });
  }

  /** Reserves room for `bytes`: null when granted now, else a promise granted in order. */
  reserve(bytes: number): Promise<void> | null {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.lineIsEmpty() && this.fits(bytes)) {
      this.reservedBytes += bytes;
      return null;
    }
    return this.wait(bytes, false);
  }

  /** Takes the exclusive turn: null when granted now, else a promise granted in order. */
  reserveExclusive(): Promise<void> | null {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.lineIsEmpty()) {
      this.held = true;
      return null;
    }
    return this.wait(0, true);
  }

  releaseExclusive(): void {
    assert(this.held, 'released an exclusive turn not held');
    this.held = false;
    this.grantWaiters();
  }

  /** Called by a granted waiter once it resumed (whether or not it then enqueues). */
  resumed(): void {
    assert(this.grantedNotResumed > 0, 'resumed without a grant');
    this.grantedNotResumed -= 1;
    this.grantWaiters();
  }

  /** Gives back a reservation that will not be used. */
  release(bytes: number): void {
    this.reservedBytes -= bytes;
    assert(this.reservedBytes >= 0, 'released more than reserved');
    this.grantWaiters();
  }

  /** Queues one frame (header and batch, by reference) under an existing reservation. */
  enqueueFrame(segment: Segment, header: Uint8Array, batch: Uint8Array): void {
    const last = this.queue[this.queue.length - 1];
    const bytes = header.length + batch.length;
    if (
      last !== undefined &&
      last.kind === 'frames' &&
      last.segment === segment &&
      last.buffers.length + 2 <= writevBuffersMax
    ) {
      last.buffers.push(header, batch);
      last.bytes += bytes;
    } else {
      this.queue.push({ kind: 'frames', segment, buffers: [header, batch], bytes });
    }
    this.kick();
  }

  /** Resolves once no background writeback is in flight (before handles are closed). */
  async writebackDone(): Promise<void> {
    while (this.writeback !== null) await this.writeback;
  }

  /** Runs `run` after everything queued before it; resolves with its result. */
  runTask<T>(run: () => Promise<T>): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve: resolve as (value: unknown) => void, reject });
      this.kick();
    });
  }

  /** Resolves once `segment`'s file holds at least `position` bytes. */
  waitWritten(segment: Segment, position: number): Promise<void> {
    if (segment.writtenBytes >= position) return Promise.resolve();
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.writtenWaiters.push({ segment, position, resolve, reject });
    });
  }

  /** Stops the writer for good: queued work and waiters fail with `error`. */
  fail(error: unknown): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const item of this.queue.splice(0)) if (item.kind === 'task') item.reject(error);
    for (const waiter of this.roomWaiters.splice(0)) waiter.reject(error);
    for (const waiter of this.writtenWaiters.splice(0)) waiter.reject(error);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
        if (item.kind === 'frames') await this.writeFrames(item);
        else await this.runQueuedTask(item);
      }
    } finally {
      this.running = false;
    }
  }

  private async writeFrames(item: FramesItem): Promise<void> {
    if (this.failure !== null) return;
    const segment = item.segment;
    try {
      assert(segment.handle !== null, 'frames queued for a segment with no file');
      const written = segment.handle.write(item.buffers, segment.writtenBytes);
      // The bytes are the kernel's now: let appenders refill the queue during the write.
      this.reservedBytes -= item.bytes;
      assert(this.reservedBytes >= 0, 'wrote more than was reserved');
      this.grantWaiters();
      await written;
    } catch (error) {
      this.fail(error);
      this.onWriteFailure(error);
      return;
    }
    segment.writtenBytes += item.bytes;
    this.wakeWrittenWaiters();
    this.maybeStartWriteback(segment, item.bytes);
  }

  /**
   * Every `writebackBytes` written, starts an fdatasync of the segment in the background,
   * without holding up the writes after it (RocksDB's bytes_per_sync does the same with
   * sync_file_range): the disk then writes back while appends go on, instead of taking
   * everything at the next flush, which is shorter for it. It makes nothing durable as far
   * as the log is concerned (only `flush` moves the durable offset). Tasks (roll, flush,
   * truncation, retention, swaps, close) wait for it first, so no handle is cut or closed
   * under it; a failure fences the log like a failed write.
   */
  private maybeStartWriteback(segment: Segment, bytes: number): void {
    if (this.writebackBytes === 0) return;
    this.writtenSinceWriteback += bytes;
    if (this.writeback !== null || this.writtenSinceWriteback < this.writebackBytes) return;
    this.writtenSinceWriteback = 0;
    this.writeback = segment
      .handle!.datasync()
      .catch((error: unknown) => {
        this.fail(error);
        this.onWriteFailure(error);
      })
      .finally(() => {
        this.writeback = null;
      });
  }

  private async runQueuedTask(item: TaskItem): Promise<void> {
    if (this.writeback !== null) await this.writeback;
    if (this.failure !== null) {
      item.reject(this.failure);
      return;
    }
    try {
      item.resolve(await item.run());
    } catch (error) {
      item.reject(error);
    }
  }

  private grantWaiters(): void {
    while (this.roomWaiters.length > 0 && !this.held) {
      const next = this.roomWaiters[0]!;
      if (next.exclusive ? this.grantedNotResumed > 0 : !this.fits(next.bytes)) return;
      this.roomWaiters.shift();
      this.grantedNotResumed += 1;
      if (next.exclusive) this.held = true;
      else this.reservedBytes += next.bytes;
      next.resolve();
    }
  }

  private wakeWrittenWaiters(): void {
    if (this.writtenWaiters.length === 0) return;
    const still: WrittenWaiter[] = [];
    for (const waiter of this.writtenWaiters) {
      if (waiter.segment.writtenBytes >= waiter.position) waiter.resolve();
      else still.push(waiter);
    }
    this.writtenWaiters = still;
  }
}
