/**
 * A growable byte buffer with little-endian writers, used to build WAL records and the
 * acknowledged-state image without a syscall or an allocation per entry. Safe integers
 * (up to 2^53) are written as two u32 halves, which is cheaper than BigInt.
 */
import { assert } from './assert.ts';

const twoTo32 = 4294967296;

export class ByteBuffer {
  bytes: Buffer;
  length = 0;
  private dataView: DataView | undefined;

  constructor(capacityBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(capacityBytes);
  }

  /** A DataView of `bytes` (valid until the next `ensure` that grows it). */
  get dataViewOfBytes(): DataView {
    const bytes = this.bytes;
    if (this.dataView?.buffer !== bytes.buffer || this.dataView.byteOffset !== bytes.byteOffset)
      this.dataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.dataView;
  }

  ensure(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.bytes.byteLength) return;
    let capacity = this.bytes.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.bytes[this.length] = value;
    this.length += 1;
  }

  u32(value: number): void {
    this.ensure(4);
    this.bytes.writeUInt32LE(value, this.length);
    this.length += 4;
  }

  u64(value: number): void {
    this.ensure(8);
    writeSafeU64(this.bytes, value, this.length);
    this.length += 8;
  }

  raw(data: Uint8Array): void {
    this.ensure(data.byteLength);
    this.bytes.set(data, this.length);
    this.length += data.byteLength;
  }

  /** Reserves `size` bytes to fill later (a header whose checksum covers what follows). */
  skip(size: number): number {
    this.ensure(size);
    const at = this.length;
    this.length += size;
    return at;
  }

  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}

export function writeSafeU64(target: Buffer, value: number, offset: number): void {
  // The message is built only on failure: this runs for every entry the node stores.
  if (!Number.isSafeInteger(value) || value < 0)
    assert(false, `u64 field ${value} not a safe integer`);
  target.writeUInt32LE(value % twoTo32, offset);
  target.writeUInt32LE(Math.floor(value / twoTo32), offset + 4);
}

/** Reads a u64 written by `writeSafeU64`; undefined if it is not a safe integer (damage). */
export function readSafeU64(source: Buffer, offset: number): number | undefined {
  const low = source.readUInt32LE(offset);
  const high = source.readUInt32LE(offset + 4);
  if (high >= 0x200000) return undefined;
  return high * twoTo32 + low;
}
