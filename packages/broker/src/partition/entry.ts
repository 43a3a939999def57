/**
 * A partition's Raft data entry: the record batches of one produce request for that
 * partition, each in its checksummed frame, so a bit flipped on a peer link or on disk is
 * caught when the entry is applied.
 *
 *   entry = version u8 (= 1) | frame+           frame = length u32 | xxhash64 u64 | batch
 *
 * This is the one place where Raft entries and record batches meet: apply reads the
 * batches back from here, in order, and gives them their offsets.
 */
import {
  batchFrameHeaderBytes,
  CorruptBatchError,
  readBatchFrame,
  writeBatchFrameHeader,
} from '@tributary/protocol';

const entryVersion = 1;

export function encodePartitionEntry(batches: readonly Uint8Array[]): Uint8Array {
  let size = 1;
  for (const batch of batches) size += batchFrameHeaderBytes + batch.length;
  // Every byte is written below, so skip the zero-fill: a zeroed allocation of this size
  // costs several times the copy (fresh pages) on a busy machine.
  const entry = Buffer.allocUnsafe(size);
  entry[0] = entryVersion;
  let position = 1;
  for (const batch of batches) {
    writeBatchFrameHeader(entry, position, batch);
    entry.set(batch, position + batchFrameHeaderBytes);
    position += batchFrameHeaderBytes + batch.length;
  }
  return entry;
}

/** The batches of an entry, as views into it. Throws CorruptBatchError on any damage. */
export function decodePartitionEntry(entry: Uint8Array): Uint8Array[] {
  if (entry.length === 0 || entry[0] !== entryVersion) {
    throw new CorruptBatchError(`partition entry version ${entry[0]} is not ${entryVersion}`);
  }
  const batches: Uint8Array[] = [];
  let position = 1;
  while (position < entry.length) {
    const batch = readBatchFrame(entry, position);
    batches.push(batch);
    position += batchFrameHeaderBytes + batch.length;
  }
  if (batches.length === 0) throw new CorruptBatchError('partition entry holds no batch');
  return batches;
}
