/**
 * The checkpoint file records the durable offset: every batch below it was fdatasync'ed.
 * Recovery uses it to tell a torn tail (bytes past it, never promised) from corruption
 * (bytes before it, which must be intact). It is updated in place, alternating between two
 * checksummed slots, so a torn update damages at most the slot being written and the
 * other still holds the previous value.
 *
 *   file = slot slot
 *   slot = magic u32 ("TBCK") | version u16 | reserved u16 | sequence i64
 *        | durableOffset i64 | xxhash64 of the 24 bytes before it        (32 bytes)
 */
import { xxhash64 } from '@tributary/protocol';

export const checkpointMagic = 0x5442434b; // "TBCK"
export const checkpointVersion = 1;
export const checkpointSlotBytes = 32;
export const checkpointFileBytes = 2 * checkpointSlotBytes;
const checkedBytes = 24;

export interface Checkpoint {
  /** Increases by one per update; the slot written is `sequence % 2`. */
  readonly sequence: number;
  readonly durableOffset: number;
}

export function encodeCheckpointSlot(checkpoint: Checkpoint): Uint8Array {
  const slot = new Uint8Array(checkpointSlotBytes);
  const view = new DataView(slot.buffer);
  view.setUint32(0, checkpointMagic);
  view.setUint16(4, checkpointVersion);
  view.setBigInt64(8, BigInt(checkpoint.sequence));
  view.setBigInt64(16, BigInt(checkpoint.durableOffset));
  view.setBigUint64(checkedBytes, xxhash64(slot.subarray(0, checkedBytes)));
  return slot;
}

function decodeSlot(slot: Uint8Array): Checkpoint | null {
  if (slot.length !== checkpointSlotBytes) return null;
  const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (view.getBigUint64(checkedBytes) !== xxhash64(slot.subarray(0, checkedBytes))) return null;
  if (view.getUint32(0) !== checkpointMagic || view.getUint16(4) !== checkpointVersion) {
    return null;
  }
  const sequence = Number(view.getBigInt64(8));
  const durableOffset = Number(view.getBigInt64(16));
  if (!Number.isSafeInteger(sequence) || sequence < 0) return null;
  if (!Number.isSafeInteger(durableOffset) || durableOffset < 0) return null;
  return { sequence, durableOffset };
}

/** The newest valid slot, or null when neither slot is valid. */
export function decodeCheckpointFile(file: Uint8Array): Checkpoint | null {
  const first = decodeSlot(file.subarray(0, checkpointSlotBytes));
  const second = decodeSlot(file.subarray(checkpointSlotBytes, checkpointFileBytes));
  if (first === null) return second;
  if (second === null) return first;
  return first.sequence > second.sequence ? first : second;
}

/** Byte position of the slot a checkpoint with this sequence is written to. */
export function checkpointSlotPosition(sequence: number): number {
  return (sequence % 2) * checkpointSlotBytes;
}
