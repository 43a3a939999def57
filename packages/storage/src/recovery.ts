/**
 * Opening a partition directory: finish or roll back what a crash interrupted, check what
 * is on disk, and hand back the segments. The decisions, in order:
 *
 * 1. `*.cleaned` files (compaction output not yet committed) are deleted: rolled back.
 * 2. `B.log.swap` (committed compaction output) replaces `B.log`, whose index files are
 *    deleted: the swap is completed. `*.deleted` files are deleted.
 * 3. Index files without a log are deleted.
 * 4. Every sealed segment but the last is trusted if its seal (both index files, checksums,
 *    the exact log size) checks out; otherwise it is scanned, and since it was fdatasync'ed
 *    before the next segment was created, any bad frame in it is corruption.
 * 5. The last segment is trusted after a clean shutdown if its seal checks out; otherwise it
 *    is scanned frame by frame (see `decideTail` for the table).
 * 6. The log must still reach the durable offset of the checkpoint.
 */
import { BatchFrameStatus } from '@tributary/protocol';
import { CheckpointStore } from './checkpoint-store.ts';
import type { LogConfig } from './config.ts';
import { CorruptLogError } from './errors.ts';
import {
  checkpointTemporaryFileName,
  cleanShutdownFileName,
  parseSegmentFileName,
  segmentFileName,
} from './format/segment-files.ts';
import { type FileSystem, joinPath } from './fs/file-system.ts';
import { Segment } from './segment/segment.ts';
import { SegmentIndexes } from './segment/segment-indexes.ts';
import { findValidFrameAfter, type SegmentScan, scanSegment } from './segment/segment-scan.ts';
import { deleteSeal, loadSeal, unlinkIfPresent, writeSeal } from './segment/segment-seal.ts';

export interface RecoveryReport {
  readonly cleanShutdown: boolean;
  readonly segmentsScanned: number;
  readonly tornBytesTruncated: number;
  readonly swapsCompleted: number;
  readonly leftoverFilesRemoved: number;
}

export interface RecoveredLog {
  readonly segments: Segment[];
  readonly checkpoint: CheckpointStore;
  readonly report: RecoveryReport;
}

interface Context {
  readonly fs: FileSystem;
  readonly directory: string;
  readonly config: LogConfig;
  readonly report: {
    cleanShutdown: boolean;
    segmentsScanned: number;
    tornBytesTruncated: number;
    swapsCompleted: number;
    leftoverFilesRemoved: number;
  };
}

function path(context: Context, name: string): string {
  return joinPath(context.directory, name);
}

/** Steps 1-3: the directory holds only live segment files afterwards. */
async function settleInterruptedChanges(context: Context): Promise<void> {
  const { fs, directory } = context;
  const names = await fs.list(directory);
  let changed = false;
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    const leftover =
      parsed !== null &&
      parsed.state !== 'live' &&
      !(parsed.state === 'swap' && parsed.kind === 'log');
    if (leftover || name === checkpointTemporaryFileName) {
      await fs.unlink(path(context, name));
      context.report.leftoverFilesRemoved += 1;
      changed = true;
    }
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed === null || parsed.state !== 'swap' || parsed.kind !== 'log') continue;
    await deleteSeal(fs, directory, parsed.baseOffset);
    await fs.rename(path(context, name), path(context, segmentFileName(parsed.baseOffset, 'log')));
    context.report.swapsCompleted += 1;
    changed = true;
  }
  const live = await fs.list(directory);
  const logs = new Set(live.filter((name) => parseSegmentFileName(name)?.kind === 'log'));
  for (const name of live) {
    const parsed = parseSegmentFileName(name);
    if (parsed === null || parsed.kind === 'log') continue;
    if (!logs.has(segmentFileName(parsed.baseOffset, 'log'))) {
      await fs.unlink(path(context, name));
      context.report.leftoverFilesRemoved += 1;
      changed = true;
    }
  }
  if (changed) await fs.syncDirectory(directory);
}

async function segmentBases(context: Context): Promise<number[]> {
  const names = await context.fs.list(context.directory);
  return names
    .map(parseSegmentFileName)
    .filter((parsed) => parsed !== null && parsed.kind === 'log' && parsed.state === 'live')
    .map((parsed) => parsed!.baseOffset)
    .sort((a, b) => a - b);
}

async function scanFile(context: Context, segment: Segment): Promise<SegmentScan> {
  context.report.segmentsScanned += 1;
  return scanSegment(segment.handle!, {
    baseOffset: segment.baseOffset,
    sizeBytes: segment.sizeBytes,
    indexIntervalBytes: context.config.indexIntervalBytes,
    batchBytesMax: context.config.maxBatchBytes,
    path: segment.logPath,
  });
}

/** Step 4: a sealed (non-last) segment, trusted by its seal or scanned and re-sealed. */
async function recoverSealedSegment(context: Context, baseOffset: number): Promise<Segment> {
  const segment = new Segment({
    baseOffset,
    directory: context.directory,
    sizeBytes: 0,
    nextOffset: baseOffset,
    maxTimestamp: -1,
  });
  const handle = await context.fs.open(segment.logPath, 'readWrite');
  try {
    const sizeBytes = await handle.size();
    const seal = await loadSeal(context.fs, context.directory, {
      baseOffset,
      logSizeBytes: sizeBytes,
      indexIntervalBytes: context.config.indexIntervalBytes,
    });
    if (seal !== null) {
      return new Segment({
        baseOffset,
        directory: context.directory,
        sizeBytes,
        nextOffset: seal.summary.nextOffset,
        maxTimestamp: seal.summary.maxTimestamp,
      });
    }
    segment.handle = handle;
    segment.sizeBytes = sizeBytes;
    const scan = await scanFile(context, segment);
    if (scan.stop.status !== BatchFrameStatus.ok) {
      throw new CorruptLogError(
        `bad frame (${frameProblem(scan.stop.status)}) in a segment that was made durable before the next one was created`,
        { file: segment.logPath, position: scan.stop.position },
      );
    }
    const summary = {
      baseOffset,
      logSizeBytes: sizeBytes,
      nextOffset: scan.nextOffset,
      maxTimestamp: scan.indexes.maxTimestamp,
    };
    await writeSeal(context.fs, context.directory, summary, scan.indexes);
    return new Segment({
      baseOffset,
      directory: context.directory,
      sizeBytes,
      nextOffset: scan.nextOffset,
      maxTimestamp: scan.indexes.maxTimestamp,
    });
  } finally {
    await handle.close();
  }
}

function frameProblem(status: BatchFrameStatus): string {
  return ['ok', 'truncated frame', 'impossible length', 'xxhash64 mismatch'][status] ?? 'unknown';
}

/**
 * Step 5's table, for the first frame of the tail segment that is not good, at `position`,
 * where the batches before it end at offset `nextOffset`:
 *
 * | the frame                                 | nextOffset < durable | nextOffset >= durable |
 * |-------------------------------------------|----------------------|-----------------------|
 * | cut short by the end of the file          | corruption           | torn: truncate here   |
 * | bad length or checksum, nothing valid after | corruption         | torn: truncate here   |
 * | bad length or checksum, a valid frame after | corruption         | corruption            |
 *
 * (A good frame whose offsets go backwards is corruption wherever it is.)
 */
async function decideTail(
  context: Context,
  segment: Segment,
  scan: SegmentScan,
  durableOffset: number | null,
): Promise<'clean' | 'torn'> {
  const { status, position } = scan.stop;
  if (status === BatchFrameStatus.ok) return 'clean';
  const where = { file: segment.logPath, position };
  if (durableOffset !== null && scan.nextOffset < durableOffset) {
    throw new CorruptLogError(
      `${frameProblem(status)} at offset ${scan.nextOffset}, below the durable offset ${durableOffset}`,
      where,
    );
  }
  if (status !== BatchFrameStatus.truncated) {
    const valid = await findValidFrameAfter(segment.handle!, {
      from: position + 1,
      end: segment.sizeBytes,
      batchBytesMax: context.config.maxBatchBytes,
    });
    if (valid !== null) {
      throw new CorruptLogError(
        `${frameProblem(status)} followed by a valid frame at byte ${valid}`,
        where,
      );
    }
  }
  return 'torn';
}

/** Step 5: the last segment becomes the active one, with its handle and indexes loaded. */
async function recoverTailSegment(
  context: Context,
  baseOffset: number,
  durableOffset: number | null,
): Promise<Segment> {
  const segment = new Segment({
    baseOffset,
    directory: context.directory,
    sizeBytes: 0,
    nextOffset: baseOffset,
    maxTimestamp: -1,
  });
  const handle = await context.fs.open(segment.logPath, 'readWrite');
  segment.handle = handle;
  segment.sizeBytes = await handle.size();
  segment.writtenBytes = segment.sizeBytes;
  if (context.report.cleanShutdown) {
    const seal = await loadSeal(context.fs, context.directory, {
      baseOffset,
      logSizeBytes: segment.sizeBytes,
      indexIntervalBytes: context.config.indexIntervalBytes,
    });
    if (seal !== null) {
      segment.indexes = seal.indexes;
      segment.nextOffset = seal.summary.nextOffset;
      segment.maxTimestamp = seal.summary.maxTimestamp;
      return segment;
    }
  }
  const scan = await scanFile(context, segment);
  const outcome = await decideTail(context, segment, scan, durableOffset);
  if (outcome === 'torn') {
    context.report.tornBytesTruncated += segment.sizeBytes - scan.stop.position;
    await handle.truncate(scan.stop.position);
    await handle.datasync();
    segment.sizeBytes = scan.stop.position;
    segment.writtenBytes = scan.stop.position;
  }
  segment.indexes = scan.indexes;
  segment.nextOffset = scan.nextOffset;
  segment.maxTimestamp = scan.indexes.maxTimestamp;
  return segment;
}

async function createFirstSegment(context: Context, baseOffset: number): Promise<Segment> {
  const segment = new Segment({
    baseOffset,
    directory: context.directory,
    sizeBytes: 0,
    nextOffset: baseOffset,
    maxTimestamp: -1,
  });
  segment.indexes = new SegmentIndexes(baseOffset, context.config.indexIntervalBytes);
  segment.handle = await context.fs.open(segment.logPath, 'createNew');
  await context.fs.syncDirectory(context.directory);
  return segment;
}

function checkContiguous(segments: readonly Segment[]): void {
  for (let at = 1; at < segments.length; at++) {
    const previous = segments[at - 1]!;
    const next = segments[at]!;
    if (previous.nextOffset > next.baseOffset) {
      throw new CorruptLogError(
        `segment ${previous.baseOffset} reaches offset ${previous.nextOffset - 1}, past the next segment's base ${next.baseOffset}`,
        { file: previous.logPath, position: previous.sizeBytes },
      );
    }
  }
}

export async function recoverLog(
  fs: FileSystem,
  directory: string,
  config: LogConfig,
  options: { initialOffset: number },
): Promise<RecoveredLog> {
  await fs.makeDirectory(directory);
  const names = await fs.list(directory);
  const context: Context = {
    fs,
    directory,
    config,
    report: {
      cleanShutdown: names.includes(cleanShutdownFileName),
      segmentsScanned: 0,
      tornBytesTruncated: 0,
      swapsCompleted: 0,
      leftoverFilesRemoved: 0,
    },
  };
  await settleInterruptedChanges(context);
  const checkpoint = await CheckpointStore.open(fs, directory);
  const bases = await segmentBases(context);
  const segments: Segment[] = [];
  for (const base of bases.slice(0, -1)) segments.push(await recoverSealedSegment(context, base));
  const tailBase = bases[bases.length - 1];
  segments.push(
    tailBase === undefined
      ? await createFirstSegment(context, options.initialOffset)
      : await recoverTailSegment(context, tailBase, checkpoint.recovered),
  );
  checkContiguous(segments);
  const tail = segments[segments.length - 1]!;
  if (checkpoint.recovered !== null && tail.nextOffset < checkpoint.recovered) {
    throw new CorruptLogError(
      `the log ends at offset ${tail.nextOffset} but ${checkpoint.recovered} was durable`,
      { file: tail.logPath, position: tail.sizeBytes },
    );
  }
  await tail.handle!.datasync();
  await checkpoint.write(tail.nextOffset);
  if (context.report.cleanShutdown) {
    await unlinkIfPresent(fs, joinPath(directory, cleanShutdownFileName));
    await fs.syncDirectory(directory);
  }
  return { segments, checkpoint, report: context.report };
}
