/**
 * The two rewrites a broker makes to a batch it accepts. Both fields lie before the CRC's
 * range, so the batch stays valid without recomputing it and records are never touched.
 */
import { assert } from './assert.ts';
import { writeInt64 } from './int64.ts';
import { BatchField, batchHeaderBytes } from './layout.ts';

/** Rewrites bytes [0, 8) in place: the offset of the batch's first record. */
export function stampBaseOffset(bytes: Uint8Array, baseOffset: number): void {
  assert(bytes.length >= batchHeaderBytes, 'stamping a batch shorter than its header');
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) {
    assert(false, `bad base offset ${baseOffset}`);
  }
  writeInt64(new DataView(bytes.buffer, bytes.byteOffset, 8), BatchField.baseOffset, baseOffset);
}

/** Rewrites bytes [12, 16) in place: the leader epoch under which the batch was appended. */
export function stampPartitionLeaderEpoch(bytes: Uint8Array, epoch: number): void {
  assert(bytes.length >= batchHeaderBytes, 'stamping a batch shorter than its header');
  if (!Number.isInteger(epoch) || epoch < -1 || epoch > 2 ** 31 - 1)
    assert(false, `bad epoch ${epoch}`);
  new DataView(bytes.buffer, bytes.byteOffset, batchHeaderBytes).setInt32(
    BatchField.partitionLeaderEpoch,
    epoch,
  );
}
