/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's record
 * batch. It runs on every appended batch, so its speed bounds the append path.
 *
 * Two implementations compute the same function:
 * - the native one, `@node-rs/crc32` (SSE4.2 `crc32` instructions, three streams at once),
 *   installed by `initChecksums()` through `crc32c-native.ts`: 3-5 GB/s on this project's
 *   machines against 1.1-1.8 GB/s for the JavaScript one, but each call into it costs
 *   about 0.3 us, so short ranges stay in JavaScript (`nativeCrc32cBytesMin`);
 * - the JavaScript one, used before `initChecksums()`, for short ranges, and whenever the
 *   native module failed to load (that is logged loudly): 16 bytes per step with sixteen
 *   256-entry tables ("slicing-by-16", after Intel's slicing-by-8), loading four bytes at
 *   a time through an Int32Array on little-endian hosts.
 * A bit-at-a-time version is kept as the reference the property tests compare both with.
 */
import { assert } from './assert.ts';

const castagnoliReflected = 0x82f63b78;
const tableCount = 16;
/** Below this the set-up of a word view costs more than it saves. */
const wordPathBytesMin = 64;

function buildTables(): Int32Array {
  const tables = new Int32Array(256 * tableCount);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ castagnoliReflected : crc >>> 1;
    }
    tables[byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = tables[byte]!;
    for (let table = 1; table < tableCount; table++) {
      crc = (crc >>> 8) ^ tables[crc & 0xff]!;
      tables[table * 256 + byte] = crc;
    }
  }
  return tables;
}

const tables = buildTables();
const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function updateBytes(state: number, bytes: Uint8Array, start: number, end: number): number {
  const t = tables;
  let crc = state;
  for (let at = start; at < end; at++) crc = (crc >>> 8) ^ t[(crc ^ bytes[at]!) & 0xff]!;
  return crc;
}

/** 16 bytes per step over 4-byte-aligned little-endian words `words[0, wordCount)`. */
function updateWords(state: number, words: Int32Array, wordCount: number): number {
  const t = tables;
  let crc = state;
  for (let w = 0; w < wordCount; w += 4) {
    const a = crc ^ words[w]!;
    const b = words[w + 1]!;
    const c = words[w + 2]!;
    const d = words[w + 3]!;
    crc =
      t[3840 + (a & 0xff)]! ^
      t[3584 + ((a >>> 8) & 0xff)]! ^
      t[3328 + ((a >>> 16) & 0xff)]! ^
      t[3072 + (a >>> 24)]! ^
      t[2816 + (b & 0xff)]! ^
      t[2560 + ((b >>> 8) & 0xff)]! ^
      t[2304 + ((b >>> 16) & 0xff)]! ^
      t[2048 + (b >>> 24)]! ^
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + (d & 0xff)]! ^
      t[512 + ((d >>> 8) & 0xff)]! ^
      t[256 + ((d >>> 16) & 0xff)]! ^
      t[d >>> 24]!;
  }
  return crc;
}

/** The native function's shape: CRC-32C of all of `input`, extending `initialState`. */
export type NativeCrc32c = (input: Uint8Array, initialState: number) => number;

/**
 * From this many bytes the native CRC-32C is faster than the JavaScript one in spite of the
 * cost of calling it (measured crossover about 256 bytes: tools/bench/src/storage.ts).
 */
export const nativeCrc32cBytesMin = 256;

let nativeCrc32c: NativeCrc32c | null = null;

/** Installed by `crc32c-native.ts` once the native module has loaded and passed its checks. */
export function installNativeCrc32c(native: NativeCrc32c | null): void {
  nativeCrc32c = native;
}

/** Which implementation `crc32c` uses for ranges of `nativeCrc32cBytesMin` bytes or more. */
export function crc32cImplementation(): 'native' | 'javascript' {
  return nativeCrc32c === null ? 'javascript' : 'native';
}

/**
 * CRC-32C of `bytes[start, end)`. Pass a previous result as `crc` to extend it over more
 * bytes; start from 0.
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  assert(start >= 0, 'crc32c: start must not be negative');
  assert(start <= end, 'crc32c: start must not pass end');
  assert(end <= bytes.length, 'crc32c: end must not pass the end of the bytes');
  if (nativeCrc32c === null || end - start < nativeCrc32cBytesMin) {
    return crc32cJavaScript(bytes, start, end, crc);
  }
  const range =
    start === 0 && end === bytes.length
      ? bytes
      : new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
  return nativeCrc32c(range, crc);
}

/** The JavaScript implementation, whatever is installed: for tests and benchmarks. */
export function crc32cJavaScript(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  crc = 0,
): number {
  let state = ~crc;
  if (!hostIsLittleEndian || end - start < wordPathBytesMin) {
    return ~updateBytes(state, bytes, start, end) >>> 0;
  }
  const misalignment = (bytes.byteOffset + start) & 3;
  const alignedStart = misalignment === 0 ? start : start + 4 - misalignment;
  state = updateBytes(state, bytes, start, alignedStart);
  const wordCount = ((end - alignedStart) >>> 4) << 2;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + alignedStart, wordCount);
  state = updateWords(state, words, wordCount);
  state = updateBytes(state, bytes, alignedStart + wordCount * 4, end);
  return ~state >>> 0;
}

/** The bit-at-a-time definition, for tests: slow and obviously right. */
export function crc32cReference(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let state = 0xffffffff;
  for (let at = start; at < end; at++) {
    state ^= bytes[at]!;
    for (let bit = 0; bit < 8; bit++) {
      state = state & 1 ? (state >>> 1) ^ castagnoliReflected : state >>> 1;
    }
  }
  return ~state >>> 0;
}
