/**
 * The batches of one partition, in order, and the idempotent producer's sequence state for
 * it. Pure: no I/O, no clock of its own. The sender asks it which batch may go next, hands
 * it back each batch's outcome, and it decides what is retried, in which order, and when
 * sequences must be rewound or restarted under a new epoch.
 *
 * Ordering guarantee (idempotent batches). Batches get consecutive sequence numbers when
 * first sent and keep their encoded bytes, so a retry is recognised by the broker as a
 * duplicate. Up to `inflightMax` (at most 5, the number of batches a broker remembers per
 * producer) are in flight at once. When one fails with a retriable error, the queue enters
 * `recovering`: nothing new is sent until every in-flight batch has come back; then the
 * failed ones are resent one at a time, oldest sequence first, until one succeeds, and
 * pipelining resumes. A batch answered OUT_OF_ORDER_SEQUENCE that was sent while an earlier
 * one was unacknowledged (it may have overtaken it) was not written, and is simply retried
 * in its turn. So records are
 * written once each, in the order they were appended, across lost responses and leader
 * changes.
 *
 * When the broker's state cannot match ours any more, the queue restarts its sequences:
 * - a batch refused for good (MESSAGE_TOO_LARGE, INVALID_RECORD, ...) was not written, and
 *   neither can any later one have been; once nothing is in flight the later batches are
 *   renumbered from the refused batch's sequence (`rewind`);
 * - OUT_OF_ORDER_SEQUENCE or UNKNOWN_PRODUCER_ID for a batch that overtook nothing means
 *   the broker lost batches we were told were written (possible with acks `leader` after a
 *   leader failure, or when the broker forgot this producer): that batch fails with the
 *   error, and once nothing is in flight the partition moves to a new epoch (`needsEpoch`)
 *   and renumbers from sequence 0; INVALID_PRODUCER_EPOCH is handled the same way;
 * - a batch given up at its delivery deadline after being sent (outcome unknown) fails
 *   with a TimeoutError, and so do the later batches whose outcome is unknown; the rest
 *   move to a new epoch as above.
 */
import { assert } from '../assert.ts';
import type { ProducerBatch } from './batch.ts';
import { addToSequence, type ProducerIdentity } from './sequence.ts';

export type BatchOutcome =
  | { readonly kind: 'written'; readonly baseOffset: number; readonly logStartOffset: number }
  /** Retriable, outcome unknown (timeouts, lost connections, not leader, ...). */
  | { readonly kind: 'retry'; readonly error: unknown }
  /** Refused for good: not written. */
  | { readonly kind: 'rejected'; readonly error: unknown }
  | { readonly kind: 'outOfOrder'; readonly error: unknown }
  /** UNKNOWN_PRODUCER_ID: the broker has no state for this producer on the partition. */
  | { readonly kind: 'unknownProducer'; readonly error: unknown }
  /** INVALID_PRODUCER_EPOCH: the broker knows a newer epoch of this producer id. */
  | { readonly kind: 'producerFenced'; readonly error: unknown };

export type QueueMode = 'normal' | 'recovering' | 'needsEpoch';

export interface SendableOptions {
  readonly nowMs: number;
  readonly lingerMs: number;
  readonly batchBytes: number;
  readonly flushing: boolean;
  readonly inflightMax: number;
}

export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  /** Not in flight, in order: retried batches first (by first send), then new ones. */
  private readonly pending: ProducerBatch[] = [];
  private readonly inflight: ProducerBatch[] = [];
  mode: QueueMode = 'normal';
  /** Why a new epoch is needed: lost broker state, or a batch given up with unknown outcome. */
  private epochReason: 'stateLost' | 'gaveUp' = 'stateLost';
  identity: ProducerIdentity | undefined;
  nextSequence = 0;
  /** Pending rewind: renumber batches first sent after `afterSendNumber` from `sequence`. */
  private rewind: { sequence: number; afterSendNumber: number } | undefined;
  private sendCounter = 0;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get inflightCount(): number {
    return this.inflight.length;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  get isIdle(): boolean {
    return this.pending.length === 0 && this.inflight.length === 0;
  }

  /** The batch new records may join, if the tail is still open. */
  openBatch(): ProducerBatch | undefined {
    const tail = this.pending[this.pending.length - 1];
    return tail !== undefined && !tail.closed ? tail : undefined;
  }

  push(batch: ProducerBatch): void {
    const tail = this.openBatch();
    if (tail !== undefined) tail.closed = true;
    this.pending.push(batch);
  }

  /** The batch that may be sent now, or undefined. */
  sendable(options: SendableOptions): ProducerBatch | undefined {
    if (this.mode === 'needsEpoch') return undefined;
    if (this.mode === 'recovering' && this.inflight.length > 0) return undefined;
    if (this.inflight.length >= options.inflightMax) return undefined;
    const head = this.pending[0];
    if (head === undefined || head.retryAtMs > options.nowMs) return undefined;
    const ready =
      head.closed ||
      head.attempts > 0 ||
      options.flushing ||
      head.sizeBytes >= options.batchBytes ||
      options.nowMs - head.createdAtMs >= options.lingerMs;
    return ready ? head : undefined;
  }

  /** When the head batch becomes sendable by linger or backoff, or undefined if not waiting. */
  lingerDeadlineMs(lingerMs: number): number | undefined {
    const head = this.pending[0];
    if (head === undefined) return undefined;
    if (head.attempts > 0) return head.retryAtMs;
    if (head.closed) return undefined;
    return head.createdAtMs + lingerMs;
  }

  /**
   * Takes `batch` (the sendable head) for sending: gives it the next sequence if it has
   * none (idempotent batches only), encodes it if needed, and moves it in flight.
   */
  take(batch: ProducerBatch, idempotent: boolean): Uint8Array {
    assert(this.pending[0] === batch, 'only the head batch is sent');
    batch.closed = true;
    const sequenced = idempotent && batch.settings.acks !== 0 && this.identity !== undefined;
    if (batch.bytes === undefined || (sequenced && !batch.hasSequence)) {
      // May throw (records the codec refuses): the batch then stays at the head, unsent,
      // with no sequence taken, for `refuse`.
      batch.encode(sequenced ? this.identity : undefined, this.nextSequence);
      if (sequenced) this.nextSequence = addToSequence(this.nextSequence, batch.recordCount);
    }
    this.pending.shift();
    if (batch.sendNumber === Number.POSITIVE_INFINITY) batch.sendNumber = ++this.sendCounter;
    batch.attempts += 1;
    batch.sentBehindUnacknowledged = this.inflight.some((other) => !other.done);
    this.inflight.push(batch);
    return batch.bytes!;
  }

  /** Records a batch's outcome; `needsNewEpoch` then tells whether to call adoptIdentity. */
  complete(batch: ProducerBatch, outcome: BatchOutcome): void {
    const index = this.inflight.indexOf(batch);
    assert(index !== -1, 'completing a batch that is not in flight');
    this.inflight.splice(index, 1);
    switch (outcome.kind) {
      case 'written':
        batch.written(outcome.baseOffset, outcome.logStartOffset);
        break;
      case 'retry':
        this.onRetriable(batch, outcome.error);
        break;
      case 'outOfOrder':
        this.onOutOfOrder(batch, outcome.error);
        break;
      case 'unknownProducer':
        // Also what a broker says to a batch that overtook the partition's first one.
        this.onOutOfOrder(batch, outcome.error);
        break;
      case 'producerFenced':
        this.onStateLost(batch, outcome.error);
        break;
      case 'rejected':
        this.onRejected(batch, outcome.error);
        break;
    }
    this.settle();
  }

  /** Gives up batches past their delivery deadline that are not in flight. */
  expire(nowMs: number, makeError: (batch: ProducerBatch) => unknown): void {
    const expired = this.pending.filter((b) => nowMs >= b.deadlineMs);
    if (expired.length === 0) return;
    const unknownSent = expired.some((b) => b.outcomeUnknown);
    for (const batch of expired) this.drop(batch, makeError(batch));
    if (unknownSent) {
      // Whatever follows may or may not be written either: those with an unknown outcome
      // fail too; the rest continue under a new epoch.
      for (const batch of this.pending.filter((b) => b.outcomeUnknown)) {
        this.drop(batch, makeError(batch));
      }
      this.needEpoch('gaveUp');
    } else {
      for (const batch of expired) if (batch.hasSequence) this.scheduleRewind(batch);
    }
    this.settle();
  }

  /** Fails the head batch, which could not be encoded: like a refusal, it was not written. */
  refuse(batch: ProducerBatch, error: unknown): void {
    assert(this.pending[0] === batch, 'only the head batch is refused');
    this.drop(batch, error);
    if (batch.hasSequence && this.mode !== 'needsEpoch') this.scheduleRewind(batch);
    this.settle();
  }

  /** Installs a new identity (epoch) and renumbers pending batches from sequence 0. */
  adoptIdentity(identity: ProducerIdentity): void {
    assert(this.inflight.length === 0, 'new epoch while batches are in flight');
    assert(!this.pending.some((b) => b.outcomeUnknown), 'unknown outcome under a new epoch');
    this.identity = identity;
    this.nextSequence = 0;
    this.rewind = undefined;
    for (const batch of this.pending) if (batch.hasSequence) batch.clearSequence();
    this.mode = this.pending.some((b) => b.attempts > 0) ? 'recovering' : 'normal';
  }

  /** Fails every batch (producer closing). */
  failAll(error: unknown): void {
    for (const batch of [...this.pending, ...this.inflight]) batch.fail(error);
    this.pending.length = 0;
  }

  /** Batches not yet acknowledged (for flush). */
  unfinished(): ProducerBatch[] {
    return [...this.inflight, ...this.pending];
  }

  /** Whether the queue waits for a new epoch with nothing in flight. */
  get needsNewEpoch(): boolean {
    return this.mode === 'needsEpoch' && this.inflight.length === 0;
  }

  private needEpoch(reason: 'stateLost' | 'gaveUp'): void {
    if (this.mode !== 'needsEpoch' || reason === 'gaveUp') this.epochReason = reason;
    this.mode = 'needsEpoch';
    this.rewind = undefined;
  }

  private onRetriable(batch: ProducerBatch, error: unknown): void {
    if (this.mode === 'needsEpoch') {
      if (this.epochReason === 'gaveUp') {
        // Its fate is as unknown as the batch given up before it: it cannot move to the
        // new epoch without risking a duplicate.
        batch.fail(error);
        return;
      }
      // The broker refuses everything after the batch whose state it lost: not written.
      this.requeue(batch);
      return;
    }
    batch.outcomeUnknown = true;
    this.requeue(batch);
    if (this.mode === 'normal') this.mode = 'recovering';
  }

  private onOutOfOrder(batch: ProducerBatch, error: unknown): void {
    batch.outcomeUnknown = false; // out of order means it was not written
    const overtook = batch.sentBehindUnacknowledged || this.hasEarlierUnacknowledged(batch);
    if (this.mode === 'needsEpoch' || overtook) {
      this.requeue(batch);
      if (this.mode === 'normal') this.mode = 'recovering';
      return;
    }
    this.onStateLost(batch, error);
  }

  private onStateLost(batch: ProducerBatch, error: unknown): void {
    batch.fail(error);
    this.needEpoch('stateLost');
  }

  private onRejected(batch: ProducerBatch, error: unknown): void {
    batch.fail(error);
    if (batch.hasSequence && this.mode !== 'needsEpoch') this.scheduleRewind(batch);
  }

  /** The batch's sequence is free again: later batches will be renumbered down to it. */
  private scheduleRewind(batch: ProducerBatch): void {
    if (this.rewind === undefined || batch.sendNumber < this.rewind.afterSendNumber) {
      this.rewind = { sequence: batch.baseSequence, afterSendNumber: batch.sendNumber };
    }
    if (this.mode === 'normal') this.mode = 'recovering';
  }

  private drop(batch: ProducerBatch, error: unknown): void {
    const index = this.pending.indexOf(batch);
    if (index !== -1) this.pending.splice(index, 1);
    batch.fail(error);
  }

  private hasEarlierUnacknowledged(batch: ProducerBatch): boolean {
    return [...this.inflight, ...this.pending].some(
      (other) => other.sendNumber < batch.sendNumber && !other.done,
    );
  }

  private requeue(batch: ProducerBatch): void {
    let at = 0;
    while (at < this.pending.length && (this.pending[at]?.sendNumber ?? 0) < batch.sendNumber)
      at += 1;
    this.pending.splice(at, 0, batch);
  }

  /** Applies a pending rewind once nothing is in flight; leaves recovery when all is calm. */
  private settle(): void {
    if (this.inflight.length > 0) return;
    if (this.rewind !== undefined && this.mode !== 'needsEpoch') {
      // Batches sent after the freed sequence were not written (the broker refuses a gap):
      // they take new sequences from it, in order, when next sent.
      const { sequence, afterSendNumber } = this.rewind;
      for (const batch of this.pending) {
        if (batch.sendNumber > afterSendNumber && batch.hasSequence) batch.clearSequence();
      }
      this.nextSequence = sequence;
      this.rewind = undefined;
    }
    if (this.mode === 'recovering' && !this.pending.some((b) => b.attempts > 0)) {
      this.mode = 'normal';
    }
  }
}
