/**
 * What reads do inside one loaded segment, all on stored bytes: find where to start from
 * the sparse index, then walk frames (each checked against its xxhash64) and hand back
 * whole batches as views into the chunks read, with no per-record work. Only
 * `findTimestamp` decodes records, and only those of the one batch that holds the answer.
 */
import {
  BatchField,
  BatchFrameStatus,
  batchFrameHeaderBytes,
  RecordBatchView,
  RecordCursor,
} from '@tributary/protocol';
import { assert } from './assert.ts';
import { CorruptLogError, InvalidTruncationError } from './errors.ts';
import { readChunkBytesMin } from './limits.ts';
import type { ReadBufferPool } from './read-buffer-pool.ts';
import { type FrameScanResult, scanFrames } from './segment/frame-scanner.ts';
import type { Segment } from './segment/segment.ts';

export interface SegmentRead {
  readonly batches: Uint8Array[];
  readonly sizeBytes: number;
  /** One past the last returned batch's last offset (null when nothing was returned). */
  readonly nextOffset: number | null;
  /** The pool's buffers the batches are views of: the caller's until it gives them back. */
  readonly buffers: Uint8Array[];
}

interface ReadContext {
  readonly indexIntervalBytes: number;
  readonly batchBytesMax: number;
}

interface BatchReadContext extends ReadContext {
  readonly pool: ReadBufferPool;
}

const twoTo32 = 0x1_0000_0000;

/** The stamped base offset, read without a BigInt (append checked it is a safe integer). */
function baseOffsetIn(view: DataView): number {
  const high = view.getInt32(BatchField.baseOffset);
  const low = view.getUint32(BatchField.baseOffset + 4);
  const offset = high * twoTo32 + low;
  assert(Number.isSafeInteger(offset), 'a stored batch has a safe base offset');
  return offset;
}

function batchBaseOffset(batch: Uint8Array): number {
  return baseOffsetIn(new DataView(batch.buffer, batch.byteOffset, batch.byteLength));
}

function batchLastOffset(batch: Uint8Array): number {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  return baseOffsetIn(view) + view.getInt32(BatchField.lastOffsetDelta);
}

function checkScan(segment: Segment, stop: FrameScanResult): void {
  if (stop.status !== BatchFrameStatus.ok) {
    const problem = ['', 'a truncated frame', 'an impossible frame length', 'an xxhash64 mismatch'];
    throw new CorruptLogError(`read found ${problem[stop.status]}`, {
      file: segment.logPath,
      position: stop.position,
    });
  }
}

/**
 * Whole batches holding `offset` and after, up to `maxBytes` of batch bytes (at least one
 * batch, however large, so a reader always progresses), from bytes [.., limit). The chunks
 * are read into buffers from `context.pool`; those that hold returned batches are the
 * caller's (`buffers`), the others go back to the pool at once.
 */
export async function readSegmentBatches(
  segment: Segment,
  request: { offset: number; maxBytes: number; limit: number },
  context: BatchReadContext,
): Promise<SegmentRead> {
  assert(segment.handle !== null && segment.indexes !== null, 'reading an unloaded segment');
  const start = Math.min(segment.indexes.offsets.floorPosition(request.offset), request.limit);
  const batches: Uint8Array[] = [];
  let sizeBytes = 0;
  let nextOffset: number | null = null;
  const chunkBytes = Math.max(
    readChunkBytesMin,
    request.maxBytes + context.indexIntervalBytes + 2 * batchFrameHeaderBytes,
  );
  const taken: Uint8Array[] = [];
  const takeChunk = (bytes: number) => {
    const chunk = context.pool.take(bytes);
    taken.push(chunk);
    return chunk;
  };
  try {
    const stop = await scanFrames(
      segment.handle,
      {
        start,
        end: request.limit,
        chunkBytes,
        batchBytesMax: context.batchBytesMax,
        takeChunk,
        // Once a batch is taken, every later one counts against maxBytes: do not read on
        // for one that cannot be taken (a 1 MiB batch after a 1 MiB batch, say).
        wantsBatchOf: (batchBytes) =>
          batches.length === 0 || sizeBytes + batchBytes <= request.maxBytes,
      },
      (_position, batch) => {
        const lastOffset = batchLastOffset(batch);
        if (lastOffset < request.offset) return true;
        if (batches.length > 0 && sizeBytes + batch.length > request.maxBytes) return false;
        batches.push(batch);
        sizeBytes += batch.length;
        nextOffset = lastOffset + 1;
        return sizeBytes < request.maxBytes;
      },
    );
    checkScan(segment, stop);
  } catch (error) {
    for (const chunk of taken) context.pool.give(chunk);
    throw error;
  }
  return { batches, sizeBytes, nextOffset, buffers: keepUsedChunks(taken, batches, context.pool) };
}

/** The chunks some batch is a view of; gives the others back to the pool. */
function keepUsedChunks(
  taken: readonly Uint8Array[],
  batches: readonly Uint8Array[],
  pool: ReadBufferPool,
): Uint8Array[] {
  const used = new Set<ArrayBufferLike>();
  for (const batch of batches) used.add(batch.buffer);
  const kept: Uint8Array[] = [];
  for (const chunk of taken) {
    if (used.has(chunk.buffer)) kept.push(chunk);
    else pool.give(chunk);
  }
  return kept;
}

export interface TimestampHit {
  readonly offset: number;
  readonly timestamp: number;
}

/** The first record with timestamp >= `target` in the segment, or null. */
export async function findTimestamp(
  segment: Segment,
  request: { target: number; limit: number },
  context: ReadContext,
): Promise<TimestampHit | null> {
  assert(segment.handle !== null && segment.indexes !== null, 'reading an unloaded segment');
  const startOffset = segment.indexes.times.startOffsetFor(request.target);
  const start = Math.min(segment.indexes.offsets.floorPosition(startOffset), request.limit);
  let hit: TimestampHit | null = null;
  const stop = await scanFrames(
    segment.handle,
    {
      start,
      end: request.limit,
      chunkBytes: readChunkBytesMin,
      batchBytesMax: context.batchBytesMax,
    },
    (_position, batch) => {
      const view = new RecordBatchView(batch);
      if (view.maxTimestamp < request.target) return true;
      const cursor = new RecordCursor(view);
      while (cursor.next()) {
        if (cursor.timestamp >= request.target) {
          hit = { offset: cursor.offset, timestamp: cursor.timestamp };
          return false;
        }
      }
      return true;
    },
  );
  checkScan(segment, stop);
  return hit;
}

/**
 * Where to cut `segment` so that `offset` is the first offset gone: the position of the
 * first batch whose last offset is at least `offset`, or the end. A batch straddling
 * `offset` cannot be cut: InvalidTruncationError.
 */
export async function findCutPosition(
  segment: Segment,
  offset: number,
  context: ReadContext,
): Promise<number> {
  assert(segment.handle !== null && segment.indexes !== null, 'cutting an unloaded segment');
  const start = segment.indexes.offsets.floorPosition(offset);
  let cut = segment.sizeBytes;
  const stop = await scanFrames(
    segment.handle,
    {
      start,
      end: segment.sizeBytes,
      chunkBytes: readChunkBytesMin,
      batchBytesMax: context.batchBytesMax,
    },
    (position, batch) => {
      if (batchLastOffset(batch) < offset) return true;
      const baseOffset = batchBaseOffset(batch);
      if (baseOffset < offset) {
        throw new InvalidTruncationError(
          `offset ${offset} lies inside the batch [${baseOffset}, ${batchLastOffset(batch)}]`,
        );
      }
      cut = position;
      return false;
    },
  );
  checkScan(segment, stop);
  return cut;
}
