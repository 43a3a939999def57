/**
 * Sealing: a sealed segment's two index files, written after its log was fdatasync'ed,
 * each carrying the segment summary and the exact log size it describes. A valid seal is
 * the segment's clean marker: recovery trusts a segment whose seal checks out against its
 * log file and scans (and re-seals) any other.
 */

import {
  decodeIndexFile,
  encodeIndexFile,
  IndexKind,
  type SegmentSummary,
} from '../format/index-file.ts';
import { segmentFileName } from '../format/segment-files.ts';
import type { FileSystem } from '../fs/file-system.ts';
import { joinPath } from '../fs/file-system.ts';
import { readFully } from './frame-scanner.ts';
import { OffsetIndex } from './offset-index.ts';
import { SegmentIndexes } from './segment-indexes.ts';
import { TimeIndex } from './time-index.ts';

export function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

async function writeWholeFile(fs: FileSystem, path: string, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(path, 'createOrReplace');
  try {
    await handle.write([bytes], 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** The whole file, or null when it does not exist. */
export async function readWholeFile(fs: FileSystem, path: string): Promise<Uint8Array | null> {
  let handle: Awaited<ReturnType<FileSystem['open']>>;
  try {
    handle = await fs.open(path, 'read');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  try {
    return await readFully(handle, 0, await handle.size());
  } finally {
    await handle.close();
  }
}

export async function unlinkIfPresent(fs: FileSystem, path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export async function writeSeal(
  fs: FileSystem,
  directory: string,
  summary: SegmentSummary,
  indexes: SegmentIndexes,
): Promise<void> {
  const base = summary.baseOffset;
  const offsets = encodeIndexFile(summary, IndexKind.offset, indexes.offsets.toBytes());
  const times = encodeIndexFile(summary, IndexKind.time, indexes.times.toBytes());
  await writeWholeFile(fs, joinPath(directory, segmentFileName(base, 'index')), offsets);
  await writeWholeFile(fs, joinPath(directory, segmentFileName(base, 'timeindex')), times);
}

export async function deleteSeal(
  fs: FileSystem,
  directory: string,
  baseOffset: number,
): Promise<void> {
  await unlinkIfPresent(fs, joinPath(directory, segmentFileName(baseOffset, 'index')));
  await unlinkIfPresent(fs, joinPath(directory, segmentFileName(baseOffset, 'timeindex')));
}

export interface LoadedSeal {
  readonly summary: SegmentSummary;
  readonly indexes: SegmentIndexes;
}

/** The segment's seal if both index files are intact and describe this exact log size. */
export async function loadSeal(
  fs: FileSystem,
  directory: string,
  expected: { baseOffset: number; logSizeBytes: number; indexIntervalBytes: number },
): Promise<LoadedSeal | null> {
  const base = expected.baseOffset;
  const offsetFile = await readWholeFile(fs, joinPath(directory, segmentFileName(base, 'index')));
  const timeFile = await readWholeFile(fs, joinPath(directory, segmentFileName(base, 'timeindex')));
  if (offsetFile === null || timeFile === null) return null;
  const offsetContents = decodeIndexFile(offsetFile, IndexKind.offset);
  const timeContents = decodeIndexFile(timeFile, IndexKind.time);
  if (offsetContents === null || timeContents === null) return null;
  const summary = offsetContents.summary;
  const other = timeContents.summary;
  const agrees =
    summary.baseOffset === base &&
    summary.logSizeBytes === expected.logSizeBytes &&
    summary.nextOffset >= base &&
    summary.maxTimestamp >= -1 &&
    other.baseOffset === base &&
    other.logSizeBytes === summary.logSizeBytes &&
    other.nextOffset === summary.nextOffset &&
    other.maxTimestamp === summary.maxTimestamp;
  if (!agrees) return null;
  const offsets = OffsetIndex.fromBytes(base, offsetContents.entries, summary.logSizeBytes);
  const times = TimeIndex.fromBytes(base, timeContents.entries, summary.nextOffset);
  if (offsets === null || times === null) return null;
  const indexes = new SegmentIndexes(base, expected.indexIntervalBytes, {
    offsets,
    times,
    maxTimestamp: summary.maxTimestamp,
  });
  return { summary, indexes };
}
