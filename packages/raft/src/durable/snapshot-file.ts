/**
 * One snapshot per file, named after its group, index and term so that a WAL record can
 * name exactly the file it stands for: `<group>-<index>-<term>.snap` (zero-padded). A
 * snapshot is the state machine's image at (index, term), the same whoever takes it, so a
 * second save at the same position atomically replaces the file with equal content.
 *
 * Grammar (little-endian):
 *
 *   snapshot-file := checksum:u64 magic:u32 version:u8 reserved:u8{3}
 *                    group:u64 index:u64 term:u64 config dataSize:u64 data:byte{dataSize}
 *   magic := 0x50534E54 ("TNSP")   version := 1
 *   checksum = xxhash64(every byte after the checksum field)
 *   config as in `record-body.ts`
 *
 * Written to `<name>.tmp`, fdatasynced, renamed into place, and the directory fsynced,
 * so a crash leaves either no file or the whole file under the final name.
 */
import type { GroupId, Snapshot } from '../core/types.ts';
import { ByteBuffer, readSafeU64 } from './byte-buffer.ts';
import { checksum64 } from './checksum.ts';
import { readConfigBody, writeConfigBody } from './record-body.ts';

const snapshotMagic = 0x50534e54;
const snapshotVersion = 1;
const fixedHeaderBytes = 16;
const nameDigits = 20;
const namePattern = /^(\d{20})-(\d{20})-(\d{20})\.snap$/;

export interface SnapshotFileName {
  readonly group: GroupId;
  readonly index: number;
  readonly term: number;
}

export function snapshotFileName(name: SnapshotFileName): string {
  const pad = (value: number) => String(value).padStart(nameDigits, '0');
  return `${pad(name.group)}-${pad(name.index)}-${pad(name.term)}.snap`;
}

export function parseSnapshotFileName(fileName: string): SnapshotFileName | undefined {
  const match = namePattern.exec(fileName);
  if (match === null) return undefined;
  const [group, index, term] = [match[1], match[2], match[3]].map(Number) as [
    number,
    number,
    number,
  ];
  if (![group, index, term].every(Number.isSafeInteger)) return undefined;
  return { group, index, term };
}

export function encodeSnapshotFile(group: GroupId, snapshot: Snapshot): Buffer {
  const out = new ByteBuffer(snapshot.data.byteLength + 256);
  out.skip(8);
  out.u32(snapshotMagic);
  out.u8(snapshotVersion);
  out.skip(3);
  out.bytes.fill(0, 13, 16);
  out.u64(group);
  out.u64(snapshot.metadata.index);
  out.u64(snapshot.metadata.term);
  writeConfigBody(out, snapshot.metadata.config);
  out.u64(snapshot.data.byteLength);
  out.raw(snapshot.data);
  const bytes = out.view();
  bytes.writeBigUInt64LE(checksum64(bytes.subarray(8)), 0);
  return bytes;
}

/** Decodes and checks a snapshot file; undefined on any damage or mismatch with `expected`. */
export function decodeSnapshotFile(
  bytes: Buffer,
  expected: SnapshotFileName,
): Snapshot | undefined {
  if (bytes.byteLength < fixedHeaderBytes + 24) return undefined;
  if (checksum64(bytes.subarray(8)) !== bytes.readBigUInt64LE(0)) return undefined;
  if (bytes.readUInt32LE(8) !== snapshotMagic || bytes[12] !== snapshotVersion) return undefined;
  const group = readSafeU64(bytes, 16);
  const index = readSafeU64(bytes, 24);
  const term = readSafeU64(bytes, 32);
  if (group !== expected.group || index !== expected.index || term !== expected.term) {
    return undefined;
  }
  const config = readConfigBody(bytes, 40);
  if (config === undefined || config.end + 8 > bytes.byteLength) return undefined;
  const dataSize = readSafeU64(bytes, config.end);
  if (dataSize === undefined || config.end + 8 + dataSize !== bytes.byteLength) return undefined;
  const data = bytes.subarray(config.end + 8);
  return { metadata: { index, term, config: config.config }, data };
}
