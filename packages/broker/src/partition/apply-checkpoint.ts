/**
 * The apply checkpoint of a partition replica: the one durable record that ties a Raft
 * index to a partition offset. It says "the partition log was flushed with every entry up
 * to Raft index `index` applied, ending at offset `nextOffset`, with this producer state".
 * On restart the partition log is cut back to `nextOffset` and Raft re-applies from
 * `index + 1`, so nothing applied-but-unflushed is lost and nothing is applied twice.
 *
 *   file = magic "TRCK" | version u8 | xxhash64 u64 of body | body (msgpack)
 *   body = { index, term, nextOffset, logStartOffset, producers }
 *
 * Written to a temporary file, fsynced, renamed over the old one, and the directory
 * fsynced, so a crash leaves either the old or the new checkpoint, never a torn one.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { xxhash64 } from '@tributary/protocol';
import { Packr } from 'msgpackr';
import { ReplicaFencedError } from '../errors.ts';

export interface ApplyCheckpoint {
  readonly index: number;
  readonly term: number;
  readonly nextOffset: number;
  readonly logStartOffset: number;
  readonly producers: [number, number, number[][]][];
}

const magic = Buffer.from('TRCK');
const version = 1;
const headerBytes = magic.length + 1 + 8;
const fileName = 'apply-checkpoint';
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export const emptyCheckpoint: ApplyCheckpoint = {
  index: 0,
  term: 0,
  nextOffset: 0,
  logStartOffset: 0,
  producers: [],
};

/** The checkpoint as bytes: also what a partition's Raft snapshot holds. */
export function encodeApplyCheckpoint(checkpoint: ApplyCheckpoint): Uint8Array {
  return packr.pack(checkpoint);
}

export async function writeApplyCheckpoint(
  directory: string,
  checkpoint: ApplyCheckpoint,
): Promise<void> {
  const body = encodeApplyCheckpoint(checkpoint);
  const header = Buffer.alloc(headerBytes);
  magic.copy(header, 0);
  header.writeUInt8(version, magic.length);
  header.writeBigUInt64BE(xxhash64(body), magic.length + 1);
  const temporary = join(directory, `${fileName}.tmp`);
  const file = await open(temporary, 'w');
  try {
    await file.writev([header, body]);
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, join(directory, fileName));
  const dir = await open(directory, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function isSafeOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The checkpoint, or the empty one when none was ever written. Damage fences the replica. */
export async function readApplyCheckpoint(directory: string): Promise<ApplyCheckpoint> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(directory, fileName));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyCheckpoint;
    throw new ReplicaFencedError(`cannot read apply checkpoint in ${directory}`, { cause: error });
  }
  const damaged = (why: string) =>
    new ReplicaFencedError(`apply checkpoint in ${directory} is damaged: ${why}`);
  if (bytes.length < headerBytes || !bytes.subarray(0, magic.length).equals(magic))
    throw damaged('bad magic');
  if (bytes.readUInt8(magic.length) !== version) throw damaged('unknown version');
  const body = bytes.subarray(headerBytes);
  if (xxhash64(body) !== bytes.readBigUInt64BE(magic.length + 1))
    throw damaged('checksum mismatch');
  const value = decodeApplyCheckpoint(body);
  if (!value) throw damaged('bad fields');
  return value;
}

/** The checkpoint in `bytes` (a file body or a partition snapshot), or undefined if malformed. */
export function decodeApplyCheckpoint(bytes: Uint8Array): ApplyCheckpoint | undefined {
  let value: Partial<ApplyCheckpoint>;
  try {
    value = packr.unpack(bytes) as Partial<ApplyCheckpoint>;
  } catch {
    return undefined;
  }
  if (!isSafeOffset(value?.index) || !isSafeOffset(value.term) || !isSafeOffset(value.nextOffset))
    return undefined;
  if (!isSafeOffset(value.logStartOffset) || !Array.isArray(value.producers)) return undefined;
  return value as ApplyCheckpoint;
}
