/**
 * int64 fields as JavaScript numbers. Offsets, timestamps and producer ids are kept as
 * numbers on the hot path (BigInt allocates); every read and write checks that the value
 * is a safe integer, so a value that a number cannot hold exactly is refused, not rounded.
 */
import { assert } from './assert.ts';

const twoTo32 = 0x1_0000_0000;

/** Reads a big-endian int64; returns NaN when the value is outside the safe range. */
export function readInt64(view: DataView, byteOffset: number): number {
  const high = view.getInt32(byteOffset);
  const low = view.getUint32(byteOffset + 4);
  // |high| < 2^21 keeps high * 2^32 + low within ±(2^53 - 1).
  if (high >= 0x20_0000 || high < -0x20_0000) return Number.NaN;
  const value = high * twoTo32 + low;
  return Number.isSafeInteger(value) ? value : Number.NaN;
}

/** Writes a safe integer as a big-endian int64 (two's complement). */
export function writeInt64(view: DataView, byteOffset: number, value: number): void {
  if (!Number.isSafeInteger(value)) assert(false, `int64 value ${value} is not a safe integer`);
  const high = Math.floor(value / twoTo32);
  const low = value - high * twoTo32;
  view.setInt32(byteOffset, high);
  view.setUint32(byteOffset + 4, low);
}
