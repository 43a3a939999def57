/**
 * What the consumer knows about each partition it consumes: where to fetch next, where
 * the application has consumed up to, what is committed, whether it is paused, and the
 * high watermark seen last (for lag). Each partition carries an `epoch` that changes on
 * every seek, pause, resume or reassignment, so fetch results and buffered chunks taken
 * under an older epoch are recognised as stale and dropped.
 *
 * Offsets are safe integers inside (the wire's type); the public API shows them as bigint.
 */
import { type TopicPartition, tpKey } from './topic-partition.ts';

export type ResetStrategy =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'timestamp'; readonly timestampMs: number }
  | { readonly kind: 'none' };

export interface PartitionState extends TopicPartition {
  /** Next offset to fetch, or -1 while unknown (committed offset or reset pending). */
  fetchOffset: number;
  /** Next offset to hand to the application, or -1 while unknown. */
  consumedOffset: number;
  /** The offset last committed (or known committed) for the group, -1 if none. */
  committedOffset: number;
  /** Why the position is unknown: look up the committed offset first, or reset. */
  pending: 'committed' | ResetStrategy | undefined;
  /** Where to start when nothing is committed (or the position falls outside the log). */
  readonly resetFallback: ResetStrategy;
  paused: boolean;
  highWatermark: number;
  epoch: number;
  /** Fetching waits until this time after an error (backoff). */
  retryAtMs: number;
  failures: number;
}

export class PartitionStates {
  private readonly states = new Map<string, PartitionState>();
  private epochCounter = 0;

  get size(): number {
    return this.states.size;
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.states.get(tpKey(topic, partition));
  }

  /** `get` by a key made once with `tpKey` (per-record checks: no new string to hash each time). */
  getByKey(key: string): PartitionState | undefined {
    return this.states.get(key);
  }

  all(): IterableIterator<PartitionState> {
    return this.states.values();
  }

  assigned(): TopicPartition[] {
    return [...this.states.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Starts tracking a partition whose position must first be found. */
  add(
    tp: TopicPartition,
    pending: PartitionState['pending'],
    resetFallback: ResetStrategy,
  ): PartitionState {
    const existing = this.get(tp.topic, tp.partition);
    if (existing !== undefined) return existing;
    const state: PartitionState = {
      topic: tp.topic,
      partition: tp.partition,
      fetchOffset: -1,
      consumedOffset: -1,
      committedOffset: -1,
      pending,
      resetFallback,
      paused: false,
      highWatermark: -1,
      epoch: this.nextEpoch(),
      retryAtMs: 0,
      failures: 0,
    };
    this.states.set(tpKey(tp.topic, tp.partition), state);
    return state;
  }

  remove(tp: TopicPartition): PartitionState | undefined {
    const key = tpKey(tp.topic, tp.partition);
    const state = this.states.get(key);
    this.states.delete(key);
    if (state !== undefined) state.epoch = this.nextEpoch();
    return state;
  }

  /** Sets the position (seek, committed offset, reset): fetching and delivery restart there. */
  position(state: PartitionState, offset: number): void {
    state.fetchOffset = offset;
    state.consumedOffset = offset;
    state.pending = undefined;
    state.epoch = this.nextEpoch();
    state.failures = 0;
    state.retryAtMs = 0;
  }

  /** Forgets the position: it will be looked up again (`pending` says how). */
  unposition(state: PartitionState, pending: NonNullable<PartitionState['pending']>): void {
    state.fetchOffset = -1;
    state.consumedOffset = -1;
    state.pending = pending;
    state.epoch = this.nextEpoch();
  }

  setPaused(state: PartitionState, paused: boolean): void {
    if (state.paused === paused) return;
    state.paused = paused;
    // Data fetched before a pause is dropped; fetching resumes from what was consumed.
    state.fetchOffset = state.consumedOffset;
    state.epoch = this.nextEpoch();
  }

  /** Lag: how far the application is behind the high watermark (-1 when unknown). */
  lag(state: PartitionState): number {
    if (state.highWatermark < 0 || state.consumedOffset < 0) return -1;
    return Math.max(0, state.highWatermark - state.consumedOffset);
  }

  private nextEpoch(): number {
    this.epochCounter += 1;
    return this.epochCounter;
  }
}
