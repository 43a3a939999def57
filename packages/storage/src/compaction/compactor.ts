/**
 * A compaction pass (cleanup.policy compact, or compact,delete), in Kafka's manner:
 *
 * 1. Map: walk the dirty part of the closed segments (from the first offset not yet mapped
 *    to the active segment) and record each key's latest offset in a bounded KeyMap. When
 *    the next batch might not fit, the map stops there (`mapEnd`); the rest waits for the
 *    next pass.
 * 2. Clean: for every closed segment below `mapEnd`, oldest first, copy the batches to
 *    `B.log.cleaned` without the records a later record of the same key supersedes, and
 *    without tombstones older than `deleteRetentionMs`. Offsets never change.
 * 3. Swap, in the writer's order, through renames whose order makes a crash safe:
 *    `B.log.cleaned` → `B.log.swap` (+ directory sync: the commit point), then
 *    `B.log` → `B.log.deleted`, seal files removed, `B.log.swap` → `B.log`, directory sync,
 *    new seal written, `B.log.deleted` unlinked. Recovery deletes a `.cleaned` (the swap
 *    never happened) and completes a `.swap`.
 *
 * Oldest first matters: a tombstone's segment is swapped only after every older segment
 * (holding the values it deletes) was, so a crash cannot bring a deleted value back.
 *
 * The pass reads only sealed segments, holds a segment only while copying it, and yields
 * between batches, so appends and reads go on meanwhile.
 */
import { BatchFrameStatus, RecordBatchView } from '@tributary/protocol';
import type { LogConfig } from '../config.ts';
import { CorruptLogError } from '../errors.ts';
import { segmentFileName } from '../format/segment-files.ts';
import { type FileSystem, joinPath } from '../fs/file-system.ts';
import { scanChunkBytes } from '../limits.ts';
import type { LogSegments } from '../log-segments.ts';
import { type FrameScanResult, scanFrames } from '../segment/frame-scanner.ts';
import { Segment } from '../segment/segment.ts';
import { deleteSeal, unlinkIfPresent, writeSeal } from '../segment/segment-seal.ts';
import { type CleaningPlan, filterBatch, mapBatchKeys } from './batch-filter.ts';
import { CleanedWriter } from './cleaned-writer.ts';
import { KeyMap } from './key-map.ts';

export interface CompactionResult {
  readonly segmentsCleaned: number;
  readonly recordsRemoved: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Every key below this offset was mapped by this pass. */
  readonly cleanedUpTo: number;
  /** True when the log was closing and the pass stopped early (nothing half done). */
  readonly aborted: boolean;
}

export interface CompactionHost {
  readonly fs: FileSystem;
  readonly directory: string;
  readonly config: LogConfig;
  readonly segments: LogSegments;
  nowMs(): number;
  firstDirtyOffset(): number;
  setFirstDirtyOffset(offset: number): void;
  /** Bumped by every truncation; a pass that saw it change does not advance firstDirty. */
  truncations(): number;
  yieldControl(): Promise<void>;
  isClosing(): boolean;
  runMutation<T>(run: () => Promise<T>): Promise<T>;
  fence(error: unknown): unknown;
}

class CompactionAborted extends Error {}

interface Cleaned {
  readonly path: string;
  readonly writer: CleanedWriter;
  readonly generation: number;
  readonly removed: number;
}

/** Runs `use` on a loaded sealed segment inside the log's shared section. */
async function withSealedSegment<T>(
  host: CompactionHost,
  segment: Segment,
  use: () => Promise<T>,
): Promise<T | null> {
  while (!host.segments.tryEnterShared()) await host.segments.exclusiveDone();
  host.segments.acquire(segment);
  try {
    if (segment.retired || segment === host.segments.active) return null;
    await host.segments.load(segment);
    return await use();
  } finally {
    host.segments.release(segment);
    host.segments.leaveShared();
  }
}

function checkScan(segment: Segment, stop: FrameScanResult): void {
  if (stop.status !== BatchFrameStatus.ok) {
    throw new CorruptLogError('bad frame in a sealed segment', {
      file: segment.logPath,
      position: stop.position,
    });
  }
}

function checkClosing(host: CompactionHost): void {
  if (host.isClosing()) throw new CompactionAborted();
}

/**
 * Step 1: returns mapEnd, the first offset not mapped. `boundary` is where the sealed
 * segments ended when the pass began (segments rolled since are left for the next pass).
 */
async function buildKeyMap(
  host: CompactionHost,
  closed: readonly Segment[],
  range: { firstDirty: number; boundary: number },
  map: KeyMap,
): Promise<number> {
  const { firstDirty, boundary } = range;
  for (const [at, segment] of closed.entries()) {
    const end = closed[at + 1]?.baseOffset ?? boundary;
    if (end <= firstDirty) continue;
    let stoppedAt: number | null = null;
    await withSealedSegment(host, segment, async () => {
      const start = segment.indexes!.offsets.floorPosition(firstDirty);
      const options = {
        start,
        end: segment.sizeBytes,
        chunkBytes: scanChunkBytes,
        batchBytesMax: host.config.maxBatchBytes,
      };
      const stop = await scanFrames(segment.handle!, options, async (_position, batch) => {
        const view = new RecordBatchView(batch);
        if (view.baseOffset < firstDirty) return true;
        if (!mapBatchKeys(batch, map)) {
          stoppedAt = view.baseOffset;
          return false;
        }
        checkClosing(host);
        await host.yieldControl();
        return true;
      });
      checkScan(segment, stop);
    });
    if (stoppedAt !== null) return stoppedAt;
  }
  return boundary;
}

/** Step 2 for one segment: its cleaned copy, or null when nothing would change. */
async function cleanSegment(
  host: CompactionHost,
  segment: Segment,
  plan: CleaningPlan,
): Promise<Cleaned | null> {
  const path = joinPath(host.directory, segmentFileName(segment.baseOffset, 'log', 'cleaned'));
  const cleaned = await withSealedSegment(host, segment, async () => {
    const writer = new CleanedWriter(
      await host.fs.open(path, 'createOrReplace'),
      segment.baseOffset,
      host.config.indexIntervalBytes,
    );
    let removed = 0;
    try {
      const options = {
        start: 0,
        end: segment.sizeBytes,
        chunkBytes: scanChunkBytes,
        batchBytesMax: host.config.maxBatchBytes,
      };
      const stop = await scanFrames(segment.handle!, options, async (_position, batch) => {
        checkClosing(host);
        const outcome = filterBatch(batch, plan);
        if (outcome.kind === 'keep') await writer.add(batch);
        else removed += outcome.removed;
        if (outcome.kind === 'rewrite') await writer.add(outcome.batch);
        await host.yieldControl();
        return true;
      });
      checkScan(segment, stop);
    } catch (error) {
      await writer.abandon();
      await unlinkIfPresent(host.fs, path);
      throw error;
    }
    await writer.finish();
    return { path, writer, generation: segment.generation, removed };
  });
  if (cleaned === null || cleaned.removed > 0) return cleaned;
  await unlinkIfPresent(host.fs, path);
  return null;
}

/** Step 3, run by the writer. False when the segment changed meanwhile (copy discarded). */
async function swapIn(host: CompactionHost, segment: Segment, cleaned: Cleaned): Promise<boolean> {
  const { fs, directory } = host;
  const unchanged =
    host.segments.list.includes(segment) &&
    segment !== host.segments.active &&
    segment.generation === cleaned.generation;
  if (!unchanged) {
    await unlinkIfPresent(fs, cleaned.path);
    return false;
  }
  const base = segment.baseOffset;
  const swapPath = joinPath(directory, segmentFileName(base, 'log', 'swap'));
  const deletedPath = joinPath(directory, segmentFileName(base, 'log', 'deleted'));
  await fs.rename(cleaned.path, swapPath);
  await fs.syncDirectory(directory); // commit point: recovery now completes the swap
  await fs.rename(segment.logPath, deletedPath);
  await deleteSeal(fs, directory, base);
  await fs.rename(swapPath, segment.logPath);
  await fs.syncDirectory(directory);
  const replacement = new Segment({
    baseOffset: base,
    directory,
    sizeBytes: cleaned.writer.sizeBytes,
    nextOffset: segment.nextOffset,
    maxTimestamp: cleaned.writer.indexes.maxTimestamp,
  });
  const summary = {
    baseOffset: base,
    logSizeBytes: replacement.sizeBytes,
    nextOffset: replacement.nextOffset,
    maxTimestamp: replacement.maxTimestamp,
  };
  await writeSeal(fs, directory, summary, cleaned.writer.indexes);
  host.segments.replace(segment, replacement);
  await fs.unlink(deletedPath);
  return true;
}

async function compactPass(host: CompactionHost): Promise<CompactionResult> {
  const closed = host.segments.list.slice(0, -1);
  const boundary = host.segments.active.baseOffset;
  const firstDirty = host.firstDirtyOffset();
  const truncationsAtStart = host.truncations();
  const map = new KeyMap(host.config.compactionKeysMax);
  const mapEnd = await buildKeyMap(host, closed, { firstDirty, boundary }, map);
  const plan: CleaningPlan = {
    map,
    mapEnd,
    nowMs: host.nowMs(),
    deleteRetentionMs: host.config.deleteRetentionMs,
  };
  let segmentsCleaned = 0;
  let recordsRemoved = 0;
  let bytesBefore = 0;
  let bytesAfter = 0;
  for (const segment of closed) {
    if (segment.baseOffset >= mapEnd) break;
    checkClosing(host);
    const sizeBefore = segment.sizeBytes;
    const cleaned = await cleanSegment(host, segment, plan);
    if (cleaned === null) continue;
    if (await host.runMutation(() => swapIn(host, segment, cleaned))) {
      segmentsCleaned += 1;
      recordsRemoved += cleaned.removed;
      bytesBefore += sizeBefore;
      bytesAfter += cleaned.writer.sizeBytes;
    }
  }
  if (host.truncations() === truncationsAtStart) host.setFirstDirtyOffset(mapEnd);
  return {
    segmentsCleaned,
    recordsRemoved,
    bytesBefore,
    bytesAfter,
    cleanedUpTo: mapEnd,
    aborted: false,
  };
}

export async function runCompaction(host: CompactionHost): Promise<CompactionResult> {
  try {
    return await compactPass(host);
  } catch (error) {
    if (error instanceof CompactionAborted) {
      const cleanedUpTo = host.firstDirtyOffset();
      return {
        segmentsCleaned: 0,
        recordsRemoved: 0,
        bytesBefore: 0,
        bytesAfter: 0,
        cleanedUpTo,
        aborted: true,
      };
    }
    throw host.fence(error);
  }
}
