/**
 * The on-disk form of a sealed segment's sparse indexes. Written once, when a segment is
 * sealed (rolled, cleaned, or at a clean close), after its log was fdatasync'ed; never
 * updated in place. Its header repeats the segment's summary and the exact log size it
 * describes, and a trailing xxhash64 covers everything, so a stale, torn or damaged index
 * is recognised and rebuilt from the log instead of trusted.
 *
 *   file    = header entries checksum
 *   header  = magic u32 ("TBIX") | version u16 | kind u16 (1 offset, 2 time)
 *           | baseOffset i64 | logSizeBytes i64 | nextOffset i64 | maxTimestamp i64
 *           | entryCount u32 | reserved u32                                  (48 bytes)
 *   offset entry = relativeOffset u32 | position u32                         (8 bytes)
 *   time entry   = timestamp i64 | relativeOffset u32                        (12 bytes)
 *   checksum     = xxhash64 of every byte before it                          (8 bytes)
 */
import { xxhash64 } from '@tributary/protocol';

export const indexFileMagic = 0x54424958; // "TBIX"
export const indexFileVersion = 1;
export const indexFileHeaderBytes = 48;
export const indexFileChecksumBytes = 8;
export const offsetIndexEntryBytes = 8;
export const timeIndexEntryBytes = 12;

export const IndexKind = { offset: 1, time: 2 } as const;
export type IndexKind = (typeof IndexKind)[keyof typeof IndexKind];

/** What a sealed segment's index files say about it. */
export interface SegmentSummary {
  readonly baseOffset: number;
  readonly logSizeBytes: number;
  /** One past the offset of the last record the segment ever held (kept by compaction). */
  readonly nextOffset: number;
  /** Largest batch maxTimestamp in the segment; -1 when it holds no batch. */
  readonly maxTimestamp: number;
}

export interface IndexFileContents {
  readonly summary: SegmentSummary;
  readonly kind: IndexKind;
  readonly entryCount: number;
  /** The entries, as stored (big-endian), for the caller to load. */
  readonly entries: Uint8Array;
}

function entryBytes(kind: IndexKind): number {
  return kind === IndexKind.offset ? offsetIndexEntryBytes : timeIndexEntryBytes;
}

function writeSafeInt64(view: DataView, at: number, value: number): void {
  view.setBigInt64(at, BigInt(value));
}

function readSafeInt64(view: DataView, at: number): number {
  const value = view.getBigInt64(at);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : Number.NaN;
}

/** Encodes an index file; `entries` are already big-endian entry bytes. */
export function encodeIndexFile(
  summary: SegmentSummary,
  kind: IndexKind,
  entries: Uint8Array,
): Uint8Array {
  const size = entryBytes(kind);
  if (entries.length % size !== 0) throw new RangeError('entries are not whole entries');
  const file = new Uint8Array(indexFileHeaderBytes + entries.length + indexFileChecksumBytes);
  const view = new DataView(file.buffer);
  view.setUint32(0, indexFileMagic);
  view.setUint16(4, indexFileVersion);
  view.setUint16(6, kind);
  writeSafeInt64(view, 8, summary.baseOffset);
  writeSafeInt64(view, 16, summary.logSizeBytes);
  writeSafeInt64(view, 24, summary.nextOffset);
  writeSafeInt64(view, 32, summary.maxTimestamp);
  view.setUint32(40, entries.length / size);
  file.set(entries, indexFileHeaderBytes);
  const checksumAt = file.length - indexFileChecksumBytes;
  view.setBigUint64(checksumAt, xxhash64(file.subarray(0, checksumAt)));
  return file;
}

/** Decodes and checks an index file; null when it is torn, damaged or not one. */
export function decodeIndexFile(file: Uint8Array, kind: IndexKind): IndexFileContents | null {
  if (file.length < indexFileHeaderBytes + indexFileChecksumBytes) return null;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const checksumAt = file.length - indexFileChecksumBytes;
  if (view.getBigUint64(checksumAt) !== xxhash64(file.subarray(0, checksumAt))) return null;
  if (view.getUint32(0) !== indexFileMagic || view.getUint16(4) !== indexFileVersion) return null;
  if (view.getUint16(6) !== kind) return null;
  const entryCount = view.getUint32(40);
  if (indexFileHeaderBytes + entryCount * entryBytes(kind) !== checksumAt) return null;
  const summary = {
    baseOffset: readSafeInt64(view, 8),
    logSizeBytes: readSafeInt64(view, 16),
    nextOffset: readSafeInt64(view, 24),
    maxTimestamp: readSafeInt64(view, 32),
  };
  if (!Object.values(summary).every(Number.isSafeInteger)) return null;
  const entries = file.subarray(indexFileHeaderBytes, checksumAt);
  return { summary, kind, entryCount, entries };
}
