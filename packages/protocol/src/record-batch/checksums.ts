/**
 * xxhash64 through `xxhash-wasm`, whose WebAssembly module must be instantiated once,
 * asynchronously, before first use. Call `await initChecksums()` at start-up (it is
 * idempotent and shares one in-flight initialisation); afterwards `xxhash64` is
 * synchronous, and calling it before initialisation is a programmer error that asserts.
 * The same call installs the native CRC-32C (`crc32c-native.ts`); `crc32c` is correct
 * before it too, only slower.
 */
import xxhash from 'xxhash-wasm';
import { assert } from './assert.ts';
import { loadNativeCrc32c } from './crc32c-native.ts';

type XxhashApi = Awaited<ReturnType<typeof xxhash>>;

let api: XxhashApi | null = null;
let initialising: Promise<void> | null = null;

export function initChecksums(): Promise<void> {
  if (api !== null) return Promise.resolve();
  initialising ??= Promise.all([xxhash(), loadNativeCrc32c()]).then(([loaded]) => {
    api = loaded;
  });
  return initialising;
}

export function checksumsReady(): boolean {
  return api !== null;
}

/** xxhash64 (seed 0) of `bytes` as an unsigned 64-bit bigint. */
export function xxhash64(bytes: Uint8Array, seed = 0n): bigint {
  assert(api !== null, 'xxhash64 used before `await initChecksums()`');
  return api.h64Raw(bytes, seed);
}
