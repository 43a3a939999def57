/**
 * xxhash64 (through `xxhash-wasm`), loaded once per process. The WASM module is compiled
 * asynchronously, so `loadChecksum()` must be awaited before any record is encoded or
 * decoded; `RaftWal.open` does it.
 */
import xxhash from 'xxhash-wasm';
import { assert } from './assert.ts';

let hasher: ((bytes: Uint8Array) => bigint) | undefined;

export async function loadChecksum(): Promise<void> {
  if (hasher !== undefined) return;
  const api = await xxhash();
  hasher = (bytes) => api.h64Raw(bytes, 0n);
}

/** xxhash64 of `bytes` with seed 0. */
export function checksum64(bytes: Uint8Array): bigint {
  assert(hasher !== undefined, 'loadChecksum() must complete before checksum64 is used');
  return hasher(bytes);
}
