/**
 * Writes a producer's identity (producer id, epoch, base sequence) into an encoded batch's
 * header and recomputes the CRC-32C, which covers those fields. A batch is encoded when it
 * closes, before its sequence is known (sequences are given at first send, in send order),
 * so its records no longer live as objects while it waits; this stamps the identity on at
 * send without touching the records.
 */
import { BatchField, batchHeaderBytes, crc32c } from '@tributary/protocol';
import { assert } from '../assert.ts';

/** The CRC covers everything from the attributes to the end of the batch. */
const crcCoveredFromByte = BatchField.attributes;

export interface StampedIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

export function stampProducerIdentity(batch: Uint8Array, identity: StampedIdentity): void {
  assert(batch.byteLength >= batchHeaderBytes, 'stamping a batch shorter than its header');
  assert(Number.isSafeInteger(identity.producerId), 'producer id is a safe integer');
  assert(Number.isInteger(identity.producerEpoch), 'producer epoch is an integer');
  assert(Number.isInteger(identity.baseSequence), 'base sequence is an integer');
  const header = new DataView(batch.buffer, batch.byteOffset, batchHeaderBytes);
  header.setBigInt64(BatchField.producerId, BigInt(identity.producerId));
  header.setInt16(BatchField.producerEpoch, identity.producerEpoch);
  header.setInt32(BatchField.baseSequence, identity.baseSequence);
  header.setUint32(BatchField.crc, crc32c(batch, crcCoveredFromByte, batch.byteLength));
}
