/**
 * Zigzag LEB128 varints as Kafka writes them inside records: `varint` holds an int32,
 * `varlong` an int64. Our varlongs are restricted to safe JavaScript integers, and are
 * computed in sign-and-magnitude form so no intermediate value overflows 2^53.
 */
import { assert } from './assert.ts';

const int32Min = -(2 ** 31);
const int32Max = 2 ** 31 - 1;

export function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= int32Min && value <= int32Max;
}

export function varintSize(value: number): number {
  const zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  if (zigzag < 0x80) return 1;
  if (zigzag < 0x4000) return 2;
  if (zigzag < 0x20_0000) return 3;
  if (zigzag < 0x1000_0000) return 4;
  return 5;
}

/** Writes `value` (an int32) at `position`; returns the position after it. */
export function writeVarint(bytes: Uint8Array, position: number, value: number): number {
  if (!isInt32(value)) assert(false, `varint value ${value} is not an int32`);
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  let at = position;
  while (zigzag >= 0x80) {
    bytes[at++] = (zigzag & 0x7f) | 0x80;
    zigzag >>>= 7;
  }
  bytes[at++] = zigzag;
  return at;
}

/** Values in this range take the 32-bit zigzag path. */
const smallMagnitudeMax = 2 ** 30 - 1;

export function varlongSize(value: number): number {
  if (value >= -smallMagnitudeMax && value <= smallMagnitudeMax && Number.isInteger(value)) {
    return varintSize(value);
  }
  if (!Number.isSafeInteger(value)) assert(false, `varlong value ${value} is not a safe integer`);
  let magnitude = value >= 0 ? value : -value - 1;
  // The first byte carries the sign bit and six bits of magnitude.
  let size = 1;
  magnitude = Math.floor(magnitude / 64);
  while (magnitude > 0) {
    size += 1;
    magnitude = Math.floor(magnitude / 128);
  }
  return size;
}

/** Writes `value` (a safe integer) as a zigzag varlong; returns the position after it. */
export function writeVarlong(bytes: Uint8Array, position: number, value: number): number {
  // Zigzag of a 64-bit value equals zigzag of a 32-bit one while |value| < 2^30.
  if (value >= -smallMagnitudeMax && value <= smallMagnitudeMax && Number.isInteger(value)) {
    return writeVarint(bytes, position, value);
  }
  if (!Number.isSafeInteger(value)) assert(false, `varlong value ${value} is not a safe integer`);
  const sign = value >= 0 ? 0 : 1;
  let magnitude = value >= 0 ? value : -value - 1;
  let at = position;
  let group = ((magnitude % 64) << 1) | sign;
  magnitude = Math.floor(magnitude / 64);
  while (magnitude > 0) {
    bytes[at++] = group | 0x80;
    group = magnitude % 128;
    magnitude = Math.floor(magnitude / 128);
  }
  bytes[at++] = group;
  return at;
}
