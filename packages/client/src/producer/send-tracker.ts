/**
 * Tracks one `send`/`sendBatch` call: how many of its records are still unacknowledged, and
 * per topic-partition the offsets they got. It settles once: resolved when every record is
 * written, rejected at the first failure (later outcomes are ignored).
 */
import { assert } from '../assert.ts';

export interface RecordMetadata {
  readonly topicName: string;
  readonly partition: number;
  /** Always 0: failures reject the call instead. Kept for KafkaJS compatibility. */
  readonly errorCode: number;
  /** Offset of this call's first record in the partition (-1n with acks 0). */
  readonly baseOffset: bigint;
  /** Offset of this call's last record in the partition (-1n with acks 0). */
  readonly lastOffset: bigint;
  readonly logStartOffset: bigint;
}

interface PartitionResult {
  topic: string;
  partition: number;
  baseOffset: number;
  lastOffset: number;
  logStartOffset: number;
}

export class SendTracker {
  private pendingRecords = 0;
  private sealed = false;
  private settled = false;
  private readonly results = new Map<string, PartitionResult>();
  readonly promise: Promise<RecordMetadata[]>;
  private resolve!: (value: RecordMetadata[]) => void;
  private reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A call whose caller stopped listening (aborted) must not become an unhandled rejection.
    this.promise.catch(() => {});
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** Counts records handed to batches. */
  add(count: number): void {
    assert(!this.sealed, 'records added to a sealed send');
    this.pendingRecords += count;
  }

  /** No more records will be added: resolve as soon as all are acknowledged. */
  seal(): void {
    this.sealed = true;
    this.maybeResolve();
  }

  written(
    topic: string,
    partition: number,
    firstOffset: number,
    count: number,
    logStartOffset: number,
  ) {
    if (this.settled) return;
    const key = `${topic}\u0000${partition}`;
    const lastOffset = firstOffset < 0 ? -1 : firstOffset + count - 1;
    const known = this.results.get(key);
    if (known === undefined) {
      this.results.set(key, {
        topic,
        partition,
        baseOffset: firstOffset,
        lastOffset,
        logStartOffset,
      });
    } else {
      if (firstOffset >= 0 && (known.baseOffset < 0 || firstOffset < known.baseOffset)) {
        known.baseOffset = firstOffset;
      }
      known.lastOffset = Math.max(known.lastOffset, lastOffset);
      known.logStartOffset = Math.max(known.logStartOffset, logStartOffset);
    }
    this.pendingRecords -= count;
    assert(this.pendingRecords >= 0, 'more records acknowledged than sent');
    this.maybeResolve();
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }

  private maybeResolve(): void {
    if (this.settled || !this.sealed || this.pendingRecords > 0) return;
    this.settled = true;
    this.resolve(
      [...this.results.values()].map((r) => ({
        topicName: r.topic,
        partition: r.partition,
        errorCode: 0,
        baseOffset: BigInt(r.baseOffset),
        lastOffset: BigInt(r.lastOffset),
        logStartOffset: BigInt(r.logStartOffset),
      })),
    );
  }
}
