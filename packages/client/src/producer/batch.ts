/**
 * A producer batch: records for one partition, sent together as one RecordBatch v2. Records
 * are kept as objects until the batch is first sent; then they are encoded once (with the
 * producer id, epoch and base sequence in the header) and a retry resends exactly those
 * bytes, so the broker recognises a duplicate. Only when the partition's sequences must be
 * rewritten (a rewind, or a new epoch) is the batch re-encoded, from its own bytes.
 *
 * An uncompressed batch is built in memory lent by the producer's pool, which gets it back
 * once the batch is done and no Produce request carrying it is still unsettled (a request
 * copies the bytes into its frame only when it gets a connection slot, which may be after
 * the batch timed out): until then something may still read the bytes.
 */
import {
  type Acks,
  CompressionType,
  type FramePool,
  iterateRecords,
  RecordBatchBuilder,
  type RecordInput,
} from '@tributary/protocol';
import { assert } from '../assert.ts';
import type { SendTracker } from './send-tracker.ts';
import type { ProducerIdentity } from './sequence.ts';

interface Segment {
  readonly tracker: SendTracker;
  readonly firstDelta: number;
  count: number;
}

export interface BatchSettings {
  readonly acks: Acks;
  readonly compression: CompressionType;
}

export class ProducerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly settings: BatchSettings;
  readonly createdAtMs: number;
  readonly deadlineMs: number;
  private records: RecordInput[] | undefined = [];
  private readonly segments: Segment[] = [];
  recordCount = 0;
  /** Estimated encoded size, reserved against the producer's buffer bound. */
  sizeBytes = 0;
  /** No more records may join (it is full, or has been sent). */
  closed = false;
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  bytes: Uint8Array | undefined;
  /** Order of first send within the partition: retries go back in this order. */
  sendNumber = Number.POSITIVE_INFINITY;
  attempts = 0;
  /** A request carrying it got no definitive answer: the broker may have written it. */
  outcomeUnknown = false;
  /**
   * An earlier batch of the partition was unacknowledged when this one was last sent: an
   * OUT_OF_ORDER_SEQUENCE answer may just mean it overtook that batch.
   */
  sentBehindUnacknowledged = false;
  /** A retried batch is not resent before this time (backoff). */
  retryAtMs = 0;
  done = false;
  onDone: ((batch: ProducerBatch) => void) | undefined;
  /** Where the encoded bytes' memory comes from (undefined: fresh memory each time). */
  memory: FramePool | undefined;
  /** The pooled memory `bytes` is a view of, until given back. */
  private lentMemory: Uint8Array | undefined;
  /** Produce requests carrying `bytes` that have not settled yet. */
  private requestsHolding = 0;
  private doneListeners: (() => void)[] | undefined;

  constructor(
    topic: string,
    partition: number,
    settings: BatchSettings,
    nowMs: number,
    deliveryTimeoutMs: number,
  ) {
    this.topic = topic;
    this.partition = partition;
    this.settings = settings;
    this.createdAtMs = nowMs;
    this.deadlineMs = nowMs + deliveryTimeoutMs;
  }

  get isIdempotent(): boolean {
    return this.producerId >= 0;
  }

  /** Whether a record of `sizeBytes` may join: open, same settings, and room (or empty). */
  accepts(sizeBytes: number, settings: BatchSettings, batchBytes: number): boolean {
    if (this.closed) return false;
    if (
      settings.acks !== this.settings.acks ||
      settings.compression !== this.settings.compression
    ) {
      return false;
    }
    return this.recordCount === 0 || this.sizeBytes + sizeBytes <= batchBytes;
  }

  append(record: RecordInput, sizeBytes: number, tracker: SendTracker): void {
    assert(!this.closed && this.records !== undefined, 'append to a closed batch');
    this.records.push(record);
    const last = this.segments[this.segments.length - 1];
    if (last !== undefined && last.tracker === tracker) last.count += 1;
    else this.segments.push({ tracker, firstDelta: this.recordCount, count: 1 });
    this.recordCount += 1;
    this.sizeBytes += sizeBytes;
  }

  /** Encodes the batch with this identity and base sequence (none when not idempotent). */
  encode(identity: ProducerIdentity | undefined, baseSequence: number): Uint8Array {
    this.closed = true;
    const options = {
      compression: this.settings.compression,
      producerId: identity?.producerId ?? -1,
      producerEpoch: identity?.producerEpoch ?? -1,
      baseSequence: identity === undefined ? -1 : baseSequence,
      initialCapacityBytes: Math.min(this.sizeBytes + 128, 1 << 24),
    };
    const previousMemory = this.lentMemory;
    const memory =
      this.memory !== undefined && this.settings.compression === CompressionType.none
        ? this.memory.allocate(options.initialCapacityBytes)
        : undefined;
    const builder = new RecordBatchBuilder(
      memory === undefined ? options : { ...options, buffer: memory },
    );
    try {
      if (this.records !== undefined) {
        for (const record of this.records) builder.append(record);
      } else {
        assert(this.bytes !== undefined, 're-encoding a batch without bytes');
        for (const record of iterateRecords(this.bytes)) builder.append(record);
      }
      this.bytes = builder.build();
    } catch (error) {
      // The records stay as they were; the lent memory goes back unused.
      if (memory !== undefined) this.memory?.release(memory);
      throw error;
    }
    this.records = undefined;
    this.lentMemory =
      memory !== undefined && this.bytes.buffer === memory.buffer ? memory : undefined;
    // The builder outgrew the lent memory: nothing reads it any more.
    if (memory !== undefined && this.lentMemory === undefined) this.memory?.release(memory);
    if (previousMemory !== undefined) this.retire(previousMemory);
    this.producerId = options.producerId;
    this.producerEpoch = options.producerEpoch;
    this.baseSequence = options.baseSequence;
    return this.bytes;
  }

  /** A Produce request now carries `bytes`; `requestSettled` must follow. */
  requestTaken(): void {
    this.requestsHolding += 1;
  }

  /** A request that carried the bytes got its answer or failed: nothing of it reads them now. */
  requestSettled(): void {
    assert(this.requestsHolding > 0, 'a request settled that was never taken');
    this.requestsHolding -= 1;
    if (this.done && this.lentMemory !== undefined) this.giveBackMemory();
  }

  /** Memory of bytes replaced by a re-encoding: back to the pool unless a request may read it. */
  private retire(memory: Uint8Array): void {
    if (this.requestsHolding === 0) this.memory?.release(memory);
    else this.memory?.discard(memory); // the garbage collector takes it once it is unread
  }

  private giveBackMemory(): void {
    if (this.requestsHolding > 0 || this.lentMemory === undefined) return;
    this.memory?.release(this.lentMemory);
    this.lentMemory = undefined;
    this.bytes = undefined;
  }

  /** Forgets the sequence so the next send encodes it afresh (after a rewind or new epoch). */
  clearSequence(): void {
    this.baseSequence = -1;
    this.outcomeUnknown = false;
  }

  get hasSequence(): boolean {
    return this.baseSequence >= 0;
  }

  /** Calls `listener` once the batch is written or has failed. */
  whenDone(listener: () => void): void {
    if (this.done) {
      listener();
      return;
    }
    this.doneListeners ??= [];
    this.doneListeners.push(listener);
  }

  /** Marks the batch done after its senders have been told, then tells the listeners. */
  private finish(): void {
    this.done = true;
    this.onDone?.(this);
    for (const listener of this.doneListeners ?? []) listener();
    this.doneListeners = undefined;
    this.giveBackMemory();
  }

  written(baseOffset: number, logStartOffset: number): void {
    if (this.done) return;
    for (const segment of this.segments) {
      const first = baseOffset < 0 ? -1 : baseOffset + segment.firstDelta;
      segment.tracker.written(this.topic, this.partition, first, segment.count, logStartOffset);
    }
    this.finish();
  }

  fail(error: unknown): void {
    if (this.done) return;
    for (const segment of this.segments) segment.tracker.fail(error);
    this.finish();
  }
}
