/**
 * The WAL record: how every change to a group's durable state is framed on disk.
 *
 * Grammar (little-endian; u64 fields hold safe integers, written as two u32 halves):
 *
 *   record       := header body
 *   header       := bodySize:u32 magic:u16 version:u8 kind:u8 group:u64
 *                   bodyChecksum:u64 headerChecksum:u64                    (32 bytes)
 *   magic        := 0x5754 ("TW")     version := 1
 *   bodyChecksum   = xxhash64(body)
 *   headerChecksum = xxhash64(header bytes 0..24)
 *
 * The header has its own checksum so that a record whose body is damaged still names its
 * group and length trustworthily: recovery can then fence exactly that group and go on.
 * Bodies by kind are in `record-body.ts`.
 */
import { assert } from './assert.ts';
import { type ByteBuffer, readSafeU64, writeSafeU64 } from './byte-buffer.ts';
import { checksum64 } from './checksum.ts';
import { recordBodyBytesMax } from './limits.ts';

export const recordHeaderBytes = 32;
export const recordMagic = 0x5754;
export const recordVersion = 1;

export const RecordKind = {
  SegmentStart: 0,
  Entries: 1,
  HardState: 2,
  Config: 3,
  Snapshot: 4,
  Compact: 5,
  GroupRemoved: 6,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];
const recordKindLast = RecordKind.GroupRemoved;

export interface RecordHeader {
  readonly bodySize: number;
  readonly kind: RecordKind;
  readonly group: number;
  readonly bodyChecksum: bigint;
}

/** Starts a record in `out`; write the body, then call `finishRecord` with the result. */
export function beginRecord(out: ByteBuffer, kind: RecordKind, group: number): number {
  const start = out.skip(recordHeaderBytes);
  const bytes = out.bytes;
  bytes.writeUInt16LE(recordMagic, start + 4);
  bytes[start + 6] = recordVersion;
  bytes[start + 7] = kind;
  writeSafeU64(bytes, group, start + 8);
  return start;
}

/** Fills the size and both checksums of the record begun at `start`. */
export function finishRecord(out: ByteBuffer, start: number): void {
  const bytes = out.bytes;
  const bodySize = out.length - start - recordHeaderBytes;
  if (bodySize > recordBodyBytesMax) assert(false, `record body of ${bodySize} bytes is too large`);
  bytes.writeUInt32LE(bodySize, start);
  const body = bytes.subarray(start + recordHeaderBytes, out.length);
  bytes.writeBigUInt64LE(checksum64(body), start + 16);
  bytes.writeBigUInt64LE(checksum64(bytes.subarray(start, start + 24)), start + 24);
}

/** Decodes and checks a header; undefined if any check fails (damage or torn bytes). */
export function decodeRecordHeader(bytes: Buffer, offset: number): RecordHeader | undefined {
  if (offset + recordHeaderBytes > bytes.byteLength) return undefined;
  if (bytes.readUInt16LE(offset + 4) !== recordMagic) return undefined;
  if (bytes[offset + 6] !== recordVersion) return undefined;
  const expected = bytes.readBigUInt64LE(offset + 24);
  if (checksum64(bytes.subarray(offset, offset + 24)) !== expected) return undefined;
  const kind = bytes[offset + 7] as number;
  const bodySize = bytes.readUInt32LE(offset);
  const group = readSafeU64(bytes, offset + 8);
  if (kind > recordKindLast || bodySize > recordBodyBytesMax || group === undefined) {
    return undefined;
  }
  return {
    bodySize,
    kind: kind as RecordKind,
    group,
    bodyChecksum: bytes.readBigUInt64LE(offset + 16),
  };
}

export function bodyMatches(header: RecordHeader, body: Buffer): boolean {
  return body.byteLength === header.bodySize && checksum64(body) === header.bodyChecksum;
}

const magicBytes = Buffer.from([recordMagic & 0xff, recordMagic >> 8]);

/**
 * The offset of the next record at or after `from` whose header and body both check, or
 * -1. Used only on damage, to tell a torn tail (nothing valid follows) from corruption in
 * the middle (valid records follow).
 */
export function findNextValidRecord(bytes: Buffer, from: number): number {
  let at = from;
  for (;;) {
    const found = bytes.indexOf(magicBytes, at + 4);
    if (found === -1) return -1;
    const start = found - 4;
    const header = decodeRecordHeader(bytes, start);
    if (header !== undefined) {
      const bodyStart = start + recordHeaderBytes;
      const body = bytes.subarray(bodyStart, bodyStart + header.bodySize);
      if (bodyMatches(header, body)) return start;
    }
    at = start + 1;
  }
}
