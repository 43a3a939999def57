/**
 * Hand-written msgpack headers for frames encoded as pieces (fetch-frame.ts,
 * produce-frame.ts): small fields packed by msgpackr, large binary values passed by
 * reference behind a header written here, so they are copied once into the frame instead
 * of first into msgpackr's buffer.
 */
import { Packr } from 'msgpackr';
import { assert } from '../record-batch/assert.ts';

/** The same options as frame.ts: plain maps, no records or extensions. */
export const piecesPackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** A key packed once, copied out of msgpackr's shared buffer so later packs cannot touch it. */
function packedConstant(value: string): Uint8Array {
  return Uint8Array.from(piecesPackr.pack(value));
}

const nameKey = packedConstant('name');
const partitionsKey = packedConstant('partitions');
const twoEntryMap = Uint8Array.of(0x82);

/**
 * The start of a topic entry `{ name, partitions: [...] }` as Produce requests and Fetch
 * responses share it: the map header, the name, and the header of a partitions array of
 * `partitionCount` entries, which the caller writes after these pieces.
 */
export function topicPieces(name: string, partitionCount: number): Uint8Array[] {
  return [twoEntryMap, nameKey, piecesPackr.pack(name), partitionsKey, arrayHeader(partitionCount)];
}

export function arrayHeader(length: number): Uint8Array {
  assert(Number.isSafeInteger(length) && length >= 0 && length <= 0xffff_ffff, 'array length');
  if (length <= 15) return Uint8Array.of(0x90 | length);
  if (length <= 0xffff) return Uint8Array.of(0xdc, length >> 8, length & 0xff);
  const header = new Uint8Array(5);
  header[0] = 0xdd;
  new DataView(header.buffer).setUint32(1, length);
  return header;
}

export function binHeader(length: number): Uint8Array {
  assert(Number.isSafeInteger(length) && length >= 0 && length <= 0xffff_ffff, 'bin length');
  // bin32 always: a reader takes any bin width, and this keeps the header one shape.
  const header = new Uint8Array(5);
  header[0] = 0xc6;
  new DataView(header.buffer).setUint32(1, length);
  return header;
}

/** A map packed by msgpackr, re-announced with `extraKeys` more entries (written after it). */
export function mapWithRoomFor(fields: Record<string, unknown>, extraKeys: number): Uint8Array[] {
  const packed = piecesPackr.pack(fields);
  let count: number;
  let headerBytes: number;
  if ((packed[0] as number) >= 0x80 && (packed[0] as number) <= 0x8f) {
    count = (packed[0] as number) & 0x0f;
    headerBytes = 1;
  } else {
    // msgpackr writes objects as map16 unless told otherwise.
    assert(packed[0] === 0xde, 'msgpackr packs a small object as a fixmap or map16');
    count = ((packed[1] as number) << 8) | (packed[2] as number);
    headerBytes = 3;
  }
  assert(count === Object.keys(fields).length, 'the map holds every field');
  const total = count + extraKeys;
  assert(total <= 0xffff, 'maps of frames encoded as pieces are small');
  return [Uint8Array.of(0xde, total >> 8, total & 0xff), packed.subarray(headerBytes)];
}

/**
 * `[first elements..., <one more written after>]`: the elements packed as an array of
 * `elements.length`, re-announced with one element more.
 */
export function arrayWithRoomForOne(elements: readonly unknown[]): Uint8Array[] {
  assert(elements.length < 15, 'envelopes are short');
  const packed = piecesPackr.pack(elements);
  assert(packed[0] === (0x90 | elements.length), 'msgpackr packs a short array as a fixarray');
  return [Uint8Array.of(0x90 | (elements.length + 1)), packed.subarray(1)];
}

/**
 * Gives memory for a frame of exactly `bytes` (its contents need not be zero: every byte is
 * written). Callers may recycle memory (a pool), as long as they keep it untouched until
 * the frame has been written.
 */
export type FrameAllocator = (bytes: number) => Uint8Array;

/** A fresh allocation without the zero fill (every byte of a frame is written). */
export const freshFrame: FrameAllocator = (bytes) => Buffer.allocUnsafe(bytes);

/** The pieces written one after another into one buffer from `allocate`, which is returned. */
export function joinPieces(
  pieces: readonly Uint8Array[],
  allocate: FrameAllocator = freshFrame,
): Uint8Array {
  let size = 0;
  for (const piece of pieces) size += piece.byteLength;
  const joined = allocate(size);
  assert(joined.byteLength === size, 'a frame buffer has exactly the frame size');
  let at = 0;
  for (const piece of pieces) {
    joined.set(piece, at);
    at += piece.byteLength;
  }
  assert(at === size, 'every byte of the frame is written');
  return joined;
}
