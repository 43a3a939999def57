/**
 * A bounds-checked cursor over untrusted bytes. Every read that would pass `end`, every
 * overlong or out-of-range varint, raises CorruptBatchError: decoding never trusts a
 * length it has not checked.
 */
import { CorruptBatchError } from './errors.ts';

const varintBytesMax = 5;
const varlongBytesMax = 10;

export class ByteReader {
  readonly bytes: Uint8Array;
  position: number;
  readonly end: number;

  constructor(bytes: Uint8Array, position: number, end: number) {
    this.bytes = bytes;
    this.position = position;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.position;
  }

  readInt8(): number {
    if (this.position >= this.end) throw new CorruptBatchError('record truncated');
    const byte = this.bytes[this.position++]!;
    return (byte << 24) >> 24;
  }

  /** A zigzag varint holding an int32. */
  readVarint(): number {
    let raw = 0;
    for (let index = 0; index < varintBytesMax; index++) {
      if (this.position >= this.end) throw new CorruptBatchError('varint truncated');
      const byte = this.bytes[this.position++]!;
      if (index === varintBytesMax - 1 && byte > 0x0f) {
        throw new CorruptBatchError('varint exceeds 32 bits');
      }
      raw |= (byte & 0x7f) << (7 * index);
      if (byte < 0x80) {
        raw >>>= 0;
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new CorruptBatchError('varint longer than 5 bytes');
  }

  /** A zigzag varlong; values outside the safe integer range are refused. */
  readVarlong(): number {
    if (this.position >= this.end) throw new CorruptBatchError('varlong truncated');
    const first = this.bytes[this.position++]!;
    const sign = first & 1;
    let magnitude = (first & 0x7f) >>> 1;
    let continued = first >= 0x80;
    let scale = 64;
    for (let index = 1; continued; index++) {
      if (index >= varlongBytesMax) throw new CorruptBatchError('varlong longer than 10 bytes');
      if (this.position >= this.end) throw new CorruptBatchError('varlong truncated');
      const byte = this.bytes[this.position++]!;
      magnitude += (byte & 0x7f) * scale;
      scale *= 128;
      continued = byte >= 0x80;
    }
    // Once past 2^53 the sum never rounds back below it, so this check is exact.
    if (magnitude > Number.MAX_SAFE_INTEGER - sign) {
      throw new CorruptBatchError('varlong outside the safe integer range');
    }
    return sign === 0 ? magnitude : -magnitude - 1;
  }

  /** A view (no copy) of the next `length` bytes. */
  readView(length: number): Uint8Array {
    if (length < 0 || length > this.end - this.position) {
      throw new CorruptBatchError(`field of ${length} bytes overruns the record`);
    }
    const view = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  skip(length: number): void {
    if (length < 0 || length > this.end - this.position) {
      throw new CorruptBatchError(`field of ${length} bytes overruns the record`);
    }
    this.position += length;
  }
}
