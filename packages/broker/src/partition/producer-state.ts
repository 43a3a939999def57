/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the last few
 * batches it wrote (sequence range and offsets), so a retried batch is recognised and
 * answered with its original offsets instead of being written twice.
 *
 * The table changes only when a batch is applied, in log order, so it is the same on every
 * replica. Its size is bounded by evicting the producer least recently written (a
 * deterministic rule: every replica evicts the same one at the same point of the log).
 */
import { ErrorCode, type ErrorCodeInfo } from '@tributary/protocol';
import { assert } from '../errors.ts';

/** How many recent batches per producer are remembered for duplicate detection (as Kafka). */
export const batchesRememberedPerProducer = 5;
/** Producers remembered per partition; the least recently written beyond this is forgotten. */
export const producersPerPartitionMax = 20_000;
const sequenceMax = 2 ** 31 - 1;

export interface ProducerBatchHeader {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

interface BatchMemory {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMemory[];
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number }
  | { readonly kind: 'refused'; readonly error: ErrorCodeInfo; readonly message: string };

/** Kafka's sequence arithmetic: sequences wrap from 2^31 - 1 to 0. */
export function addToSequence(sequence: number, increment: number): number {
  return sequence > sequenceMax - increment
    ? increment - (sequenceMax - sequence) - 1
    : sequence + increment;
}

function lastSequenceOf(batch: ProducerBatchHeader): number {
  return addToSequence(batch.baseSequence, batch.recordCount - 1);
}

export class ProducerStateTable {
  /** Insertion order is recency order: re-inserting on every write keeps the LRU at the front. */
  private readonly producers = new Map<number, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  check(batch: ProducerBatchHeader): SequenceCheck {
    if (batch.producerId < 0) return { kind: 'append' };
    const entry = this.producers.get(batch.producerId);
    if (!entry) {
      if (batch.baseSequence === 0) return { kind: 'append' };
      return refused(
        ErrorCode.UnknownProducerId,
        `producer ${batch.producerId} unknown here; its first batch must have sequence 0`,
      );
    }
    if (batch.producerEpoch < entry.epoch) {
      return refused(
        ErrorCode.InvalidProducerEpoch,
        `epoch ${batch.producerEpoch} is older than ${entry.epoch}`,
      );
    }
    if (batch.producerEpoch > entry.epoch) {
      if (batch.baseSequence === 0) return { kind: 'append' };
      return refused(
        ErrorCode.OutOfOrderSequence,
        `a new epoch must start at sequence 0, not ${batch.baseSequence}`,
      );
    }
    const last = lastSequenceOf(batch);
    const duplicate = entry.batches.find(
      (b) => b.firstSequence === batch.baseSequence && b.lastSequence === last,
    );
    if (duplicate) return { kind: 'duplicate', baseOffset: duplicate.baseOffset };
    const newest = entry.batches[entry.batches.length - 1];
    const expected = newest ? addToSequence(newest.lastSequence, 1) : 0;
    if (batch.baseSequence !== expected) {
      return refused(
        ErrorCode.OutOfOrderSequence,
        `expected sequence ${expected}, got ${batch.baseSequence}`,
      );
    }
    return { kind: 'append' };
  }

  /** Records a batch that `check` said to append, written at `baseOffset`. */
  record(batch: ProducerBatchHeader, baseOffset: number): void {
    if (batch.producerId < 0) return;
    if (this.check(batch).kind !== 'append')
      assert(false, `recording producer ${batch.producerId} batch that was not appendable`);
    const existing = this.producers.get(batch.producerId);
    const entry: ProducerEntry =
      existing && existing.epoch === batch.producerEpoch
        ? existing
        : { epoch: batch.producerEpoch, batches: [] };
    entry.batches.push({
      firstSequence: batch.baseSequence,
      lastSequence: lastSequenceOf(batch),
      baseOffset,
    });
    if (entry.batches.length > batchesRememberedPerProducer) entry.batches.shift();
    this.producers.delete(batch.producerId);
    this.producers.set(batch.producerId, entry);
    if (this.producers.size > producersPerPartitionMax) {
      const oldest = this.producers.keys().next().value as number;
      this.producers.delete(oldest);
    }
  }

  clone(): ProducerStateTable {
    const copy = new ProducerStateTable();
    for (const [id, entry] of this.producers) {
      copy.producers.set(id, { epoch: entry.epoch, batches: entry.batches.map((b) => ({ ...b })) });
    }
    return copy;
  }

  /** A plain image for snapshots: [producerId, epoch, [firstSeq, lastSeq, baseOffset]...]. */
  toImage(): [number, number, number[][]][] {
    return [...this.producers].map(([id, e]) => [
      id,
      e.epoch,
      e.batches.map((b) => [b.firstSequence, b.lastSequence, b.baseOffset]),
    ]);
  }

  static fromImage(
    image: readonly (readonly [number, number, readonly (readonly number[])[]])[],
  ): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const [id, epoch, batches] of image) {
      table.producers.set(id, {
        epoch,
        batches: batches.map(([firstSequence, lastSequence, baseOffset]) => {
          assert(Number.isSafeInteger(baseOffset), 'producer state offset');
          return {
            firstSequence: firstSequence as number,
            lastSequence: lastSequence as number,
            baseOffset: baseOffset as number,
          };
        }),
      });
    }
    return table;
  }
}

function refused(error: ErrorCodeInfo, message: string): SequenceCheck {
  return { kind: 'refused', error, message };
}
