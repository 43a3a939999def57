/**
 * `truncateTo`'s file work: remove every batch at or after `offset`, durably, in an order
 * that leaves, after a crash at any point, a log that still reaches `offset` and never
 * holds less than the durable offset:
 *
 * 1. the checkpoint is lowered to `offset` first;
 * 2. later segments are deleted newest first, each followed by a directory sync;
 * 3. the segment holding `offset` loses its seal and is cut in place and fdatasync'ed; or,
 *    when compaction had emptied the offsets just below `offset` (a scan would no longer
 *    see where the log ends), the kept bytes plus an empty batch spanning the gap are
 *    written to `B.log.cleaned`, which replaces the segment through `B.log.swap` as a
 *    compaction swap does (recovery completes a `.swap` and deletes a `.cleaned`).
 *
 * Runs inside the log's exclusive section: no reader holds any segment.
 */
import {
  batchFrameHeaderBytes,
  encodeBatchFrameHeader,
  encodeEmptyRecordBatch,
} from '@tributary/protocol';
import type { CheckpointStore } from './checkpoint-store.ts';
import type { LogConfig } from './config.ts';
import { segmentFileName } from './format/segment-files.ts';
import { type FileSystem, joinPath } from './fs/file-system.ts';
import { scanChunkBytes } from './limits.ts';
import type { LogSegments } from './log-segments.ts';
import { findCutPosition } from './read-path.ts';
import { readFully } from './segment/frame-scanner.ts';
import type { Segment } from './segment/segment.ts';
import type { SegmentIndexes } from './segment/segment-indexes.ts';
import { scanSegment } from './segment/segment-scan.ts';
import { deleteSeal } from './segment/segment-seal.ts';

export interface TruncationContext {
  readonly fs: FileSystem;
  readonly directory: string;
  readonly config: LogConfig;
  readonly segments: LogSegments;
  readonly checkpoint: CheckpointStore;
  durableOffset(): number;
  setDurableOffset(offset: number): void;
}

export interface CutLog {
  /** The segment now last (still referenced: the caller releases it). */
  readonly segment: Segment;
  readonly indexes: SegmentIndexes;
  readonly sizeBytes: number;
}

export async function cutLog(context: TruncationContext, offset: number): Promise<CutLog> {
  const { segments, config } = context;
  const position = segments.indexFor(offset);
  const segment = segments.list[position]!;
  segments.acquire(segment);
  try {
    await segments.load(segment);
    const readContext = {
      indexIntervalBytes: config.indexIntervalBytes,
      batchBytesMax: config.maxBatchBytes,
    };
    const cut = await findCutPosition(segment, offset, readContext);
    const kept = await scanSegment(segment.handle!, {
      baseOffset: segment.baseOffset,
      sizeBytes: cut,
      indexIntervalBytes: config.indexIntervalBytes,
      batchBytesMax: config.maxBatchBytes,
      path: segment.logPath,
    });
    if (context.durableOffset() > offset) {
      await context.checkpoint.write(offset);
      context.setDurableOffset(offset);
    }
    await deleteLaterSegments(context, position);
    const sizeBytes =
      kept.nextOffset < offset
        ? await replaceSpanningGap(context, segment, { ...kept, cut, endOffset: offset })
        : await cutInPlace(context, segment, cut);
    return { segment, indexes: kept.indexes, sizeBytes };
  } catch (error) {
    segments.release(segment);
    throw error;
  }
}

async function deleteLaterSegments(context: TruncationContext, position: number): Promise<void> {
  const { fs, directory, segments } = context;
  for (const later of segments.list.slice(position + 1).reverse()) {
    segments.retire(later);
    await deleteSeal(fs, directory, later.baseOffset);
    await fs.unlink(later.logPath);
    await fs.syncDirectory(directory);
  }
}

/** The batches before `cut` end exactly at the new end offset: cut the file there. */
async function cutInPlace(
  context: TruncationContext,
  segment: Segment,
  cut: number,
): Promise<number> {
  await deleteSeal(context.fs, context.directory, segment.baseOffset);
  await context.fs.syncDirectory(context.directory);
  await segment.handle!.truncate(cut);
  await segment.handle!.datasync();
  return cut;
}

/** The kept bytes plus an empty batch spanning the gap replace the segment by rename. */
async function replaceSpanningGap(
  context: TruncationContext,
  segment: Segment,
  kept: { nextOffset: number; indexes: SegmentIndexes; cut: number; endOffset: number },
): Promise<number> {
  const { fs, directory } = context;
  const base = segment.baseOffset;
  const cleaned = joinPath(directory, segmentFileName(base, 'log', 'cleaned'));
  const swap = joinPath(directory, segmentFileName(base, 'log', 'swap'));
  const placeholder = encodeEmptyRecordBatch(kept.nextOffset, kept.endOffset - 1 - kept.nextOffset);
  const out = await fs.open(cleaned, 'createOrReplace');
  for (let at = 0; at < kept.cut; at += scanChunkBytes) {
    const chunk = await readFully(segment.handle!, at, Math.min(scanChunkBytes, kept.cut - at));
    await out.write([chunk], at);
  }
  await out.write([encodeBatchFrameHeader(placeholder), placeholder], kept.cut);
  await out.datasync();
  await out.close();
  await fs.rename(cleaned, swap);
  await fs.syncDirectory(directory); // commit point
  await deleteSeal(fs, directory, base);
  await fs.rename(swap, segment.logPath);
  await fs.syncDirectory(directory);
  const replaced = segment.handle!;
  segment.handle = await fs.open(segment.logPath, 'readWrite');
  await replaced.close();
  const frameBytes = batchFrameHeaderBytes + placeholder.length;
  kept.indexes.addBatch(kept.cut, kept.nextOffset, frameBytes, -1);
  return kept.cut + frameBytes;
}
