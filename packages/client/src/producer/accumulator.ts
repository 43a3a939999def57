/**
 * The record accumulator: per partition, a queue of batches being filled (up to
 * `batchBytes` each), sent when full, when `lingerMs` has passed since the batch opened,
 * or when a flush asks. Pure apart from the buffer bound; the clock comes in as arguments.
 */
import type { FramePool, RecordInput } from '@tributary/protocol';
import { type BatchSettings, ProducerBatch } from './batch.ts';
import { PartitionQueue } from './partition-queue.ts';
import type { SendTracker } from './send-tracker.ts';
import type { ProducerIdentity } from './sequence.ts';

export interface AccumulatorOptions {
  readonly batchBytes: number;
  readonly lingerMs: number;
  readonly deliveryTimeoutMs: number;
  /** Called once per batch when it is acknowledged or fails (to release its buffer bytes). */
  readonly onBatchDone: (batch: ProducerBatch) => void;
  /** Memory batches are encoded in, given back when they are done (see batch.ts). */
  readonly batchMemory?: FramePool;
}

export class RecordAccumulator {
  /** topic → partition → queue (nested: no string key built per record). */
  private readonly queues = new Map<string, PartitionQueue[]>();
  readonly options: AccumulatorOptions;
  /** The identity new partition queues start with (idempotent producers). */
  identity: ProducerIdentity | undefined;

  constructor(options: AccumulatorOptions) {
    this.options = options;
  }

  queue(topic: string, partition: number): PartitionQueue {
    let byPartition = this.queues.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      this.queues.set(topic, byPartition);
    }
    let queue = byPartition[partition];
    if (queue === undefined) {
      queue = new PartitionQueue(topic, partition);
      queue.identity = this.identity;
      byPartition[partition] = queue;
    }
    return queue;
  }

  *allQueues(): IterableIterator<PartitionQueue> {
    for (const byPartition of this.queues.values()) {
      for (const queue of byPartition) if (queue !== undefined) yield queue;
    }
  }

  /** Whether appending this record would have to open a new batch (sticky partitioning). */
  wouldOpenBatch(topic: string, partition: number, sizeBytes: number, settings: BatchSettings) {
    const open = this.queues.get(topic)?.[partition]?.openBatch();
    return open === undefined || !open.accepts(sizeBytes, settings, this.options.batchBytes);
  }

  /**
   * Appends a record to its partition's open batch, opening a new one when needed.
   * Returns whether the batch is now full (worth sending without lingering); a boolean,
   * not an object, because this runs once a record.
   */
  append(
    topic: string,
    partition: number,
    record: RecordInput,
    sizeBytes: number,
    settings: BatchSettings,
    tracker: SendTracker,
    nowMs: number,
  ): boolean {
    const queue = this.queue(topic, partition);
    let batch = queue.openBatch();
    if (batch === undefined || !batch.accepts(sizeBytes, settings, this.options.batchBytes)) {
      batch = new ProducerBatch(topic, partition, settings, nowMs, this.options.deliveryTimeoutMs);
      batch.onDone = this.options.onBatchDone;
      batch.memory = this.options.batchMemory;
      queue.push(batch);
    }
    batch.append(record, sizeBytes, tracker);
    const full = batch.sizeBytes >= this.options.batchBytes;
    if (full) batch.closed = true;
    return full;
  }

  /** The earliest time a lingering batch becomes sendable, if any. */
  nextLingerDeadlineMs(): number | undefined {
    let earliest: number | undefined;
    for (const queue of this.allQueues()) {
      const deadline = queue.lingerDeadlineMs(this.options.lingerMs);
      if (deadline !== undefined && (earliest === undefined || deadline < earliest))
        earliest = deadline;
    }
    return earliest;
  }

  /** Every batch not yet acknowledged. */
  unfinished(): ProducerBatch[] {
    const batches: ProducerBatch[] = [];
    for (const queue of this.allQueues()) batches.push(...queue.unfinished());
    return batches;
  }
}
