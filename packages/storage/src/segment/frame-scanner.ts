/**
 * Walks the frames of a segment file between two positions, reading in chunks, checking
 * each frame (length, xxhash64, agreement with the batch's own length) and handing each
 * good batch to a visitor. It stops at the first frame that is not good and says why and
 * where, leaving the decision (torn tail, corruption) to the caller. Batches handed out are
 * views into freshly read chunks, so a visitor may keep them.
 */
import { BatchFrameStatus, batchFrameHeaderBytes, inspectBatchFrame } from '@tributary/protocol';
import type { FileHandle } from '../fs/file-system.ts';

export interface FrameScanOptions {
  readonly start: number;
  /** Position the scan must not pass (normally the file size). */
  readonly end: number;
  /** Bytes read at a time; grown for a frame that does not fit. */
  readonly chunkBytes: number;
  readonly batchBytesMax: number;
}

/** Return false to stop the scan after this batch. */
export type FrameVisitor = (
  position: number,
  batch: Uint8Array,
) => boolean | undefined | Promise<boolean | undefined>;

export interface FrameScanResult {
  /** `ok` when the scan reached `end` or the visitor stopped it. */
  readonly status: BatchFrameStatus;
  /** Where the scan stopped: `end`, the frame after the visitor's last, or the bad frame. */
  readonly position: number;
  readonly stoppedByVisitor: boolean;
}

export async function readFully(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Uint8Array> {
  // Only the bytes read are handed out, so skip the zero-fill (which costs several times
  // the read itself for a chunk of megabytes).
  const chunk = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const count = await handle.read(chunk.subarray(filled), position + filled);
    if (count === 0) break;
    filled += count;
  }
  return filled === length ? chunk : chunk.subarray(0, filled);
}

export async function scanFrames(
  handle: FileHandle,
  options: FrameScanOptions,
  visit: FrameVisitor,
): Promise<FrameScanResult> {
  let position = options.start;
  let chunkBytes = options.chunkBytes;
  while (position < options.end) {
    const wanted = Math.min(chunkBytes, options.end - position);
    const chunk = await readFully(handle, position, wanted);
    if (chunk.length === 0) {
      return { status: BatchFrameStatus.truncated, position, stoppedByVisitor: false };
    }
    // More data lies beyond this chunk only if the read was full and stopped short of `end`.
    const moreBeyond = chunk.length === wanted && position + wanted < options.end;
    let at = 0;
    while (at < chunk.length) {
      const found = inspectBatchFrame(chunk, at, options.batchBytesMax);
      if (found.status === BatchFrameStatus.ok) {
        const start = at + batchFrameHeaderBytes;
        let keepGoing = visit(position + at, chunk.subarray(start, start + found.batchBytes));
        // Awaiting a plain value would still cost a microtask per batch (reads visit
        // synchronously, up to hundreds of batches per call): await only promises.
        if (keepGoing instanceof Promise) keepGoing = await keepGoing;
        at = start + found.batchBytes;
        if (keepGoing === false) {
          return { status: BatchFrameStatus.ok, position: position + at, stoppedByVisitor: true };
        }
        continue;
      }
      const frameBytes =
        found.batchBytes < 0 ? batchFrameHeaderBytes : batchFrameHeaderBytes + found.batchBytes;
      const continuesInNextChunk =
        found.status === BatchFrameStatus.truncated &&
        moreBeyond &&
        position + at + frameBytes <= options.end;
      if (!continuesInNextChunk) {
        return { status: found.status, position: position + at, stoppedByVisitor: false };
      }
      if (at === 0) chunkBytes = Math.max(chunkBytes, frameBytes);
      break;
    }
    position += at;
  }
  return { status: BatchFrameStatus.ok, position, stoppedByVisitor: false };
}
