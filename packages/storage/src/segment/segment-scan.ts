/**
 * Reads a segment file from the start, checking every frame, and rebuilds what a sealed
 * segment would have in its index files: the sparse indexes, the next offset and the
 * largest timestamp. Batches must move forward in offset (gaps are allowed: compaction
 * leaves them); a good frame whose offsets go backwards is corruption.
 */
import {
  BatchField,
  BatchFrameStatus,
  batchFrameHeaderBytes,
  inspectBatchFrame,
} from '@tributary/protocol';
import { CorruptLogError } from '../errors.ts';
import type { FileHandle } from '../fs/file-system.ts';
import { scanChunkBytes } from '../limits.ts';
import { type FrameScanResult, readFully, scanFrames } from './frame-scanner.ts';
import { SegmentIndexes } from './segment-indexes.ts';

export interface SegmentScan {
  readonly indexes: SegmentIndexes;
  /** One past the last good batch's last offset; the base offset when there is none. */
  readonly nextOffset: number;
  /** Where the scan stopped (the end, or the first frame that is not good). */
  readonly stop: FrameScanResult;
}

export interface SegmentScanOptions {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  readonly indexIntervalBytes: number;
  readonly batchBytesMax: number;
  /** For error messages. */
  readonly path: string;
}

function readInt64(view: DataView, at: number): number {
  return Number(view.getBigInt64(at));
}

export async function scanSegment(
  handle: FileHandle,
  options: SegmentScanOptions,
): Promise<SegmentScan> {
  const indexes = new SegmentIndexes(options.baseOffset, options.indexIntervalBytes);
  let nextOffset = options.baseOffset;
  const stop = await scanFrames(
    handle,
    {
      start: 0,
      end: options.sizeBytes,
      chunkBytes: scanChunkBytes,
      batchBytesMax: options.batchBytesMax,
    },
    (position, batch) => {
      const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
      const baseOffset = readInt64(view, BatchField.baseOffset);
      const lastOffset = baseOffset + view.getInt32(BatchField.lastOffsetDelta);
      const maxTimestamp = readInt64(view, BatchField.maxTimestamp);
      const sane =
        Number.isSafeInteger(baseOffset) &&
        Number.isSafeInteger(lastOffset) &&
        baseOffset >= nextOffset &&
        lastOffset >= baseOffset &&
        Number.isSafeInteger(maxTimestamp);
      if (!sane) {
        throw new CorruptLogError(
          `batch [${baseOffset}, ${lastOffset}] does not follow offset ${nextOffset - 1}`,
          { file: options.path, position },
        );
      }
      indexes.addBatch(position, baseOffset, batchFrameHeaderBytes + batch.length, maxTimestamp);
      nextOffset = lastOffset + 1;
      return true;
    },
  );
  return { indexes, nextOffset, stop };
}

/**
 * Whether any intact frame starts after `from` (and before `end`): the test that tells a
 * damaged frame in the middle of a segment (valid data follows: corruption) from a torn
 * tail (nothing valid follows). Searches byte by byte with cheap filters first.
 */
export async function findValidFrameAfter(
  handle: FileHandle,
  options: { from: number; end: number; batchBytesMax: number },
): Promise<number | null> {
  const window = scanChunkBytes + options.batchBytesMax + batchFrameHeaderBytes;
  for (let start = options.from; start < options.end; start += scanChunkBytes) {
    const chunk = await readFully(handle, start, Math.min(window, options.end - start));
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const candidatesEnd = Math.min(scanChunkBytes, chunk.length - batchFrameHeaderBytes - 61);
    for (let at = 0; at < candidatesEnd; at++) {
      const length = view.getUint32(at);
      if (length < 61 || length > options.batchBytesMax) continue;
      if (chunk[at + batchFrameHeaderBytes + BatchField.magic] !== 2) continue;
      if (view.getInt32(at + batchFrameHeaderBytes + BatchField.batchLength) !== length - 12)
        continue;
      if (inspectBatchFrame(chunk, at, options.batchBytesMax).status === BatchFrameStatus.ok) {
        return start + at;
      }
    }
  }
  return null;
}
