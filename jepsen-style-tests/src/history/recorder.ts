/**
 * Writes a history as JSON lines. Lines are buffered in memory up to a bound (lines and bytes)
 * and written with one synchronous write when the bound is reached, on a timer, or on close:
 * memory stays bounded however long the run, and a crash of the harness loses at most the
 * last flush interval.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { assert } from '../assert.ts';
import { JepsenError } from '../errors.ts';
import {
  recorderBufferedBytesMax,
  recorderBufferedLinesMax,
  recorderFlushIntervalMs,
} from '../limits.ts';
import type { Operation, OperationInput } from './operation.ts';
import { validateOperation } from './validate.ts';

export interface RecorderOptions {
  readonly bufferedLinesMax?: number;
  readonly bufferedBytesMax?: number;
  readonly flushIntervalMs?: number;
}

export class HistoryRecorder {
  private readonly fd: number;
  private readonly linesMax: number;
  private readonly bytesMax: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private nextIndex = 0;
  private closed = false;
  /** How many flushes wrote to the file (for tests of the bound). */
  flushCount = 0;

  constructor(path: string, options: RecorderOptions = {}) {
    this.linesMax = options.bufferedLinesMax ?? recorderBufferedLinesMax;
    this.bytesMax = options.bufferedBytesMax ?? recorderBufferedBytesMax;
    assert(this.linesMax > 0 && this.bytesMax > 0, 'recorder bounds must be positive');
    try {
      this.fd = openSync(path, 'w');
    } catch (cause) {
      throw new JepsenError('history-io', `cannot open history ${path}`, { cause });
    }
    const intervalMs = options.flushIntervalMs ?? recorderFlushIntervalMs;
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.flush(), intervalMs);
      this.timer.unref();
    }
  }

  get count(): number {
    return this.nextIndex;
  }

  get bufferedLines(): number {
    return this.pending.length;
  }

  /** Appends one operation; returns it with its index. */
  record(input: OperationInput): Operation {
    assert(!this.closed, 'record after close');
    const op = validateOperation(
      { ...input, index: this.nextIndex },
      `operation ${this.nextIndex}`,
    );
    this.nextIndex++;
    const line = `${JSON.stringify(op)}\n`;
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    if (this.pending.length >= this.linesMax || this.pendingBytes >= this.bytesMax) this.flush();
    return op;
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const chunk = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
    let written = 0;
    try {
      while (written < chunk.length) written += writeSync(this.fd, chunk, written);
    } catch (cause) {
      throw new JepsenError('history-io', 'cannot write history', { cause });
    }
    this.flushCount++;
  }

  /** Flushes, fsyncs and closes; idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
