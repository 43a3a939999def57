/**
 * Walks the frames of a segment file between two positions, reading in chunks, checking
 * each frame (length, xxhash64, agreement with the batch's own length) and handing each
 * good batch to a visitor. It stops at the first frame that is not good and says why and
 * where, leaving the decision (torn tail, corruption) to the caller. Batches handed out are
 * views into the chunks read, which are new buffers (a visitor may keep them) unless the
 * caller supplies them (`takeChunk`, then the caller decides when they may be reused).
 */
import { BatchFrameStatus, batchFrameHeaderBytes, inspectBatchFrame } from '@tributary/protocol';
import { assert } from '../assert.ts';
import type { FileHandle } from '../fs/file-system.ts';

export interface FrameScanOptions {
  readonly start: number;
  /** Position the scan must not pass (normally the file size). */
  readonly end: number;
  /** Bytes read at a time; grown for a frame that does not fit. */
  readonly chunkBytes: number;
  readonly batchBytesMax: number;
  /** Where chunks are read into (default: a new buffer each); the caller owns them. */
  readonly takeChunk?: (bytes: number) => Uint8Array;
  /**
   * Asked with a frame's claimed batch size before the scan reads on to complete that frame
   * (it ends past the chunk): false stops the scan there, as the visitor returning false
   * would, sparing a read of bytes the caller would not take.
   */
  readonly wantsBatchOf?: (batchBytes: number) => boolean;
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

/** A new buffer of `bytes`, not zero-filled: only the bytes read into it are handed out. */
function newChunk(bytes: number): Uint8Array {
  // The zero-fill would cost several times the read itself for a chunk of megabytes.
  return Buffer.allocUnsafe(bytes);
}

export async function readFully(
  handle: FileHandle,
  position: number,
  length: number,
  takeChunk: (bytes: number) => Uint8Array = newChunk,
): Promise<Uint8Array> {
  const chunk = takeChunk(length);
  assert(chunk.length === length, 'a chunk of the size asked for');
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
    const chunk = await readFully(handle, position, wanted, options.takeChunk);
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
      if (found.batchBytes >= 0 && options.wantsBatchOf?.(found.batchBytes) === false) {
        return { status: BatchFrameStatus.ok, position: position + at, stoppedByVisitor: true };
      }
      if (at === 0) chunkBytes = Math.max(chunkBytes, frameBytes);
      break;
    }
    position += at;
  }
  return { status: BatchFrameStatus.ok, position, stoppedByVisitor: false };
}
