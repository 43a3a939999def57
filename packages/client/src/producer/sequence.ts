/** Kafka's producer sequence arithmetic: sequences are int32 and wrap from 2^31 - 1 to 0. */
export const sequenceMax = 2 ** 31 - 1;

export function addToSequence(sequence: number, increment: number): number {
  return sequence > sequenceMax - increment
    ? increment - (sequenceMax - sequence) - 1
    : sequence + increment;
}

/** The identity an idempotent producer stamps on batches: id, epoch, per-partition sequence. */
export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}
