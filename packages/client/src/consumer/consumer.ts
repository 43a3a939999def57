/**
 * The Consumer: KafkaJS's `subscribe` / `run({ eachMessage | eachBatch })`, plus
 * `for await (const message of consumer)`, `assign()` without a group, `seek`, `pause`,
 * `resume`, auto and manual commits, cooperative rebalancing and static membership.
 * Offsets are bigint in this API. See docs/client.md.
 */
import { ErrorCode, initChecksums } from '@tributary/protocol';
import { abortable, type CallOptions, CallScope, sleep } from '../abort.ts';
import { backoffDelayMs } from '../backoff.ts';
import {
  ClientClosedError,
  IllegalStateError,
  InvalidArgumentError,
  type TributaryClientError,
  TributaryProtocolError,
} from '../errors.ts';
import { cooperativeStickyAssignor } from '../group/assignors/cooperative-sticky.ts';
import type { Assignor } from '../group/assignors/types.ts';
import { GroupMembership } from '../group/membership.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { Cluster } from '../net/cluster.ts';
import {
  type DeliveryContext,
  iterate,
  type RecordIterator,
  type RunHandlers,
  runWorker,
} from './delivery.ts';
import { Fetcher } from './fetcher.ts';
import { GroupOffsets } from './group-offsets.ts';
import type { ConsumerMessage } from './message.ts';
import { MessageBuffer } from './message-buffer.ts';
import { OffsetResolver } from './offset-resolver.ts';
import { type PartitionState, PartitionStates, type ResetStrategy } from './partition-states.ts';
import { type RebalanceListener, Subscription } from './subscription.ts';
import { type TopicPartition, tpKey } from './topic-partition.ts';

export interface ConsumerOptions {
  /** Join this group (needed for `subscribe`; optional with `assign`, for commits). */
  readonly groupId?: string;
  /** Static membership: a restart with the same id gets its partitions back without a rebalance. */
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs?: number;
  /** Also the longest a handler may take before the group moves on without this member. */
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** In order of preference; default cooperative-sticky. */
  readonly partitionAssigners?: readonly Assignor[];
  /** Where to start without a committed offset: 'earliest', 'latest' (default) or 'none'. */
  readonly autoOffsetReset?: 'earliest' | 'latest' | 'none';
  readonly maxWaitMs?: number;
  readonly minBytes?: number;
  readonly maxBytes?: number;
  readonly maxBytesPerPartition?: number;
  /** Bound on fetched bytes not yet processed; fetching pauses beyond it (default 32 MiB). */
  readonly prefetchBytesMax?: number;
  /** How often pattern subscriptions look for new topics and partition counts (default 10 s). */
  readonly topicCheckIntervalMs?: number;
  readonly rebalanceListener?: RebalanceListener;
}

export interface SubscribeOptions {
  readonly topics?: readonly (string | RegExp)[];
  readonly topic?: string | RegExp;
  /** Without a committed offset, start at the earliest record (instead of autoOffsetReset). */
  readonly fromBeginning?: boolean;
}

export interface RunOptions extends Partial<Pick<RunHandlers, 'eachMessage' | 'eachBatch'>> {
  readonly autoCommit?: boolean;
  readonly autoCommitIntervalMs?: number;
  readonly partitionsConsumedConcurrently?: number;
  readonly eachBatchAutoResolve?: boolean;
}

export type SeekTarget =
  | bigint
  | number
  | string
  | 'earliest'
  | 'latest'
  | { readonly timestampMs: number };

export const consumerDefaults = {
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 60_000,
  heartbeatIntervalMs: 250,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 16 * 1024 * 1024,
  maxBytesPerPartition: 1024 * 1024,
  prefetchBytesMax: 32 * 1024 * 1024,
  autoCommitIntervalMs: 5_000,
  topicCheckIntervalMs: 10_000,
} as const;

type Mode = 'idle' | 'run' | 'iterator' | 'stopped' | 'closed';

export class Consumer implements AsyncIterable<ConsumerMessage> {
  private readonly cluster: Cluster;
  private readonly options: ConsumerOptions;
  private readonly logger: Logger;
  private readonly emitter: ClientEmitter;
  private readonly states = new PartitionStates();
  private readonly buffer: MessageBuffer;
  private readonly fetcher: Fetcher;
  private readonly resolver: OffsetResolver;
  private readonly offsets: GroupOffsets | undefined;
  private readonly subscription: Subscription;
  private readonly processing = new Map<string, Promise<void>>();
  private membership: GroupMembership | undefined;
  private mode: Mode = 'idle';
  private connected = false;
  private manual = false;
  private autoCommit = true;
  private autoCommitIntervalMs: number = consumerDefaults.autoCommitIntervalMs;
  private lastAutoCommitMs = Date.now();
  private committing: Promise<void> | undefined;
  private resolving = false;
  private stopController = new AbortController();
  private failure: TributaryClientError | undefined;
  private workers: Promise<void>[] = [];

  constructor(cluster: Cluster, options: ConsumerOptions, logger: Logger, emitter: ClientEmitter) {
    this.cluster = cluster;
    this.options = options;
    this.logger = logger;
    this.emitter = emitter;
    const reset = options.autoOffsetReset ?? 'latest';
    if (!['earliest', 'latest', 'none'].includes(reset)) {
      throw new InvalidArgumentError(`autoOffsetReset must be 'earliest', 'latest' or 'none'`);
    }
    this.buffer = new MessageBuffer(
      options.prefetchBytesMax ?? consumerDefaults.prefetchBytesMax,
      () => this.fetcher?.wake(),
    );
    this.fetcher = new Fetcher(
      cluster,
      this.states,
      this.buffer,
      {
        maxWaitMs: options.maxWaitMs ?? consumerDefaults.maxWaitMs,
        minBytes: options.minBytes ?? consumerDefaults.minBytes,
        maxBytes: options.maxBytes ?? consumerDefaults.maxBytes,
        maxBytesPerPartition: options.maxBytesPerPartition ?? consumerDefaults.maxBytesPerPartition,
      },
      {
        onOutOfRange: (state, error) => this.onOutOfRange(state, error),
        onPositionsNeeded: () => this.resolvePositions(),
        onError: (error) => this.emitter.emit('error', { source: 'fetch', error }),
      },
    );
    this.offsets =
      options.groupId === undefined
        ? undefined
        : new GroupOffsets(
            cluster,
            options.groupId,
            options.groupInstanceId ?? null,
            () => this.membership,
            emitter,
          );
    this.subscription = new Subscription(cluster, { kind: reset } as ResetStrategy);
    this.resolver = new OffsetResolver(
      cluster,
      this.states,
      this.offsets === undefined
        ? undefined
        : (states, scope) => this.offsets!.fetch(states, scope),
    );
  }

  async connect(options: CallOptions = {}): Promise<void> {
    this.throwIfClosed();
    const scope = this.cluster.scope('connect', options, this.cluster.options.requestTimeoutMs);
    try {
      await initChecksums();
      await this.cluster.connect(scope);
      this.connected = true;
    } finally {
      scope.dispose();
    }
  }

  /** Subscribes (in the group) to topics by name or pattern. Call before `run` or iterating. */
  subscribe(options: SubscribeOptions): void {
    this.throwIfClosed();
    if (this.options.groupId === undefined) {
      throw new IllegalStateError('subscribe needs a groupId; use assign() without a group');
    }
    if (this.mode !== 'idle') throw new IllegalStateError('subscribe before run() or iterating');
    if (this.manual) throw new IllegalStateError('this consumer assigns partitions by hand');
    this.subscription.add(options);
  }

  /** Consumes these partitions without group membership (commits still go to `groupId`, if any). */
  assign(
    partitions: readonly { topic: string; partitions?: readonly number[] }[],
    options: { fromBeginning?: boolean } = {},
  ) {
    this.throwIfClosed();
    if (this.subscription.isActive)
      throw new IllegalStateError('this consumer subscribes in a group');
    this.manual = true;
    this.subscription.addManual(partitions, options.fromBeginning === true);
    if (this.mode === 'run' || this.mode === 'iterator') {
      // Not awaited (assign is synchronous, as in KafkaJS): a failure is reported, never left
      // as an unhandled rejection, which would end the application.
      this.applyManualAssignment().catch((error: unknown) => this.onAssignFailed(error));
    }
  }

  /** Starts consuming with handlers; resolves once started (as KafkaJS). */
  async run(options: RunOptions = {}): Promise<void> {
    if ((options.eachMessage === undefined) === (options.eachBatch === undefined)) {
      throw new InvalidArgumentError('run needs exactly one of eachMessage or eachBatch');
    }
    const concurrency = options.partitionsConsumedConcurrently ?? 1;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError('partitionsConsumedConcurrently must be a positive integer');
    }
    await this.startConsuming('run', options);
    const handlers: RunHandlers = {
      ...(options.eachMessage === undefined ? {} : { eachMessage: options.eachMessage }),
      ...(options.eachBatch === undefined ? {} : { eachBatch: options.eachBatch }),
      eachBatchAutoResolve: options.eachBatchAutoResolve ?? true,
    };
    this.workers = Array.from({ length: concurrency }, () => runWorker(this.delivery(), handlers));
  }

  /** `for await (const message of consumer)`: consumes with auto-commit; `break` stops it. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.messages()[Symbol.asyncIterator]();
  }

  /** The records as an async iterable; `signal` ends the iteration. One iteration at a time. */
  messages(
    options: { signal?: AbortSignal; autoCommit?: boolean } = {},
  ): AsyncIterable<ConsumerMessage> {
    return { [Symbol.asyncIterator]: () => this.iterator(options) };
  }

  /**
   * One iteration: starts consuming on the first `next()`, stops when it ends (`break`, the
   * signal, `stop()`, `disconnect()`, a failure), and then ends quietly unless it failed.
   */
  private iterator(options: {
    signal?: AbortSignal;
    autoCommit?: boolean;
  }): AsyncIterator<ConsumerMessage, void> {
    const onAbort = () => void this.stop();
    const finished = { done: true, value: undefined } as const;
    let records: RecordIterator | undefined;
    // Called by the record iterator only, so always once consuming has started.
    const end = async (
      error: unknown,
      byReturn: boolean,
    ): Promise<IteratorResult<ConsumerMessage, void>> => {
      const ended = this.mode === 'stopped' || this.mode === 'closed';
      options.signal?.removeEventListener('abort', onAbort);
      await this.stop();
      if (byReturn) return finished;
      // A failure (an offset out of range with no reset policy) stops the consumer; the
      // iteration reports it whether it was waiting for records or between two.
      if (this.failure !== undefined) throw this.failure;
      if (error === undefined || options.signal?.aborted || ended) return finished;
      throw error;
    };
    const start = async (): Promise<RecordIterator> => {
      if (this.mode === 'iterator' || this.mode === 'run') {
        throw new IllegalStateError('this consumer is already being consumed');
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await this.startConsuming('iterator', options);
      } catch (error) {
        options.signal?.removeEventListener('abort', onAbort);
        throw error;
      }
      return iterate(this.delivery(), end);
    };
    let starting: Promise<RecordIterator> | undefined;
    let over = false;
    return {
      next: () => {
        if (records !== undefined) return records.next();
        if (over) return Promise.resolve(finished);
        starting ??= start();
        return starting.then(
          (iterator) => {
            records = iterator;
            // return() was called while the consumer was starting.
            return over ? iterator.return() : iterator.next();
          },
          (error: unknown) => {
            if (over) return finished;
            over = true;
            throw error;
          },
        );
      },
      return: () => {
        if (records !== undefined) return records.return();
        over = true;
        return Promise.resolve(finished);
      },
    };
  }

  /** Moves a partition's position; the next record delivered is at `offset`. */
  seek(target: { topic: string; partition: number; offset: SeekTarget }): void {
    const state = this.states.get(target.topic, target.partition);
    if (state === undefined) {
      throw new IllegalStateError(
        `${target.topic}/${target.partition} is not assigned to this consumer`,
      );
    }
    const offset = target.offset;
    if (offset === 'earliest' || offset === 'latest')
      this.states.unposition(state, { kind: offset });
    else if (typeof offset === 'object')
      this.states.unposition(state, { kind: 'timestamp', timestampMs: offset.timestampMs });
    else {
      const value = Number(offset);
      if (!Number.isSafeInteger(value) || value < 0)
        throw new InvalidArgumentError(`invalid offset ${String(offset)}`);
      this.states.position(state, value);
    }
    this.dropBuffered(state);
    this.fetcher.wake();
  }

  pause(topics: readonly { topic: string; partitions?: readonly number[] }[]): void {
    for (const state of this.matching(topics)) {
      this.states.setPaused(state, true);
      this.dropBuffered(state);
    }
  }

  resume(topics: readonly { topic: string; partitions?: readonly number[] }[]): void {
    for (const state of this.matching(topics)) this.states.setPaused(state, false);
    this.fetcher.wake();
  }

  paused(): TopicPartition[] {
    return [...this.states.all()]
      .filter((s) => s.paused)
      .map(({ topic, partition }) => ({ topic, partition }));
  }

  /** Partitions this consumer currently consumes. */
  assignment(): TopicPartition[] {
    return this.states.assigned();
  }

  /** The next offset to be delivered for a partition (-1n while unknown). */
  position(topic: string, partition: number): bigint {
    return BigInt(this.states.get(topic, partition)?.consumedOffset ?? -1);
  }

  /** Records between the position and the high watermark last seen (-1n while unknown). */
  lag(topic: string, partition: number): bigint {
    const state = this.states.get(topic, partition);
    return BigInt(state === undefined ? -1 : this.states.lag(state));
  }

  /** Commits offsets (the next offset to consume); default: everything consumed so far. */
  async commitOffsets(
    offsets?: readonly {
      topic: string;
      partition: number;
      offset: bigint | string | number;
      metadata?: string;
    }[],
    options: CallOptions = {},
  ): Promise<void> {
    if (this.offsets === undefined) throw new IllegalStateError('commits need a groupId');
    const list =
      offsets?.map((o) => {
        const offset = Number(o.offset);
        if (!Number.isSafeInteger(offset) || offset < 0)
          throw new InvalidArgumentError(`invalid offset ${String(o.offset)}`);
        return { ...o, offset };
      }) ?? this.uncommitted();
    const scope = this.cluster.scope('commit', options, this.cluster.options.requestTimeoutMs);
    try {
      await this.offsets.commit(list, scope);
      for (const o of list) {
        const state = this.states.get(o.topic, o.partition);
        if (state !== undefined) state.committedOffset = o.offset;
      }
    } finally {
      scope.dispose();
    }
  }

  /**
   * Stops consuming: commits (with auto-commit), leaves the group, stops fetching. Bounded
   * by `timeoutMs` (default: the request timeout) and `signal`; what is left then is dropped
   * as a crash would drop it (the group notices at the session timeout).
   */
  async stop(options: CallOptions = {}): Promise<void> {
    if (this.mode === 'stopped' || this.mode === 'closed' || this.mode === 'idle') return;
    const scope = new CallScope('stop', options, this.cluster.options.requestTimeoutMs);
    try {
      await abortable(this.stopConsuming(), scope.signal);
    } catch {
      this.membership?.abandon();
    } finally {
      scope.dispose();
    }
  }

  private async stopConsuming(): Promise<void> {
    this.mode = 'stopped';
    this.stopController.abort(new ClientClosedError('consumer stopped'));
    this.fetcher.stop();
    await this.membership?.stop();
    this.membership = undefined;
    if (this.manual) await this.revoke(this.states.assigned());
    await Promise.allSettled(this.workers);
    this.workers = [];
  }

  /**
   * For fault tests: stops at once as a crashed process would (no commit, no LeaveGroup);
   * the group notices when the session times out. Exposed through `@tributary/client/internal`.
   */
  async abandon(): Promise<void> {
    this.mode = 'closed';
    this.stopController.abort(new ClientClosedError('consumer abandoned'));
    this.fetcher.stop();
    this.membership?.abandon();
    this.buffer.close(new ClientClosedError('consumer abandoned'));
    await this.cluster.close();
  }

  async disconnect(options: CallOptions = {}): Promise<void> {
    if (this.mode === 'closed') return;
    await this.stop(options);
    this.mode = 'closed';
    this.buffer.close(new ClientClosedError('consumer closed'));
    await this.cluster.close();
  }

  private async startConsuming(
    mode: 'run' | 'iterator',
    options: { autoCommit?: boolean; autoCommitIntervalMs?: number },
  ) {
    this.throwIfClosed();
    if (this.mode === 'run' || this.mode === 'iterator')
      throw new IllegalStateError('already consuming');
    if (!this.connected)
      throw new IllegalStateError('consumer not connected: call connect() first');
    if (!this.subscription.isActive && !this.manual)
      throw new IllegalStateError('subscribe() or assign() first');
    this.mode = mode;
    this.failure = undefined;
    this.stopController = new AbortController();
    this.buffer.reopen();
    this.autoCommit = this.offsets !== undefined && (options.autoCommit ?? true);
    this.autoCommitIntervalMs =
      options.autoCommitIntervalMs ?? consumerDefaults.autoCommitIntervalMs;
    this.lastAutoCommitMs = Date.now();
    this.fetcher.start();
    if (this.manual) await this.applyManualAssignment();
    else this.joinGroup();
  }

  private joinGroup(): void {
    const groupId = this.options.groupId!;
    this.membership = new GroupMembership(
      this.cluster,
      {
        groupId,
        groupInstanceId: this.options.groupInstanceId ?? null,
        sessionTimeoutMs: this.options.sessionTimeoutMs ?? consumerDefaults.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? consumerDefaults.rebalanceTimeoutMs,
        heartbeatIntervalMs:
          this.options.heartbeatIntervalMs ?? consumerDefaults.heartbeatIntervalMs,
        assignors: this.options.partitionAssigners ?? [cooperativeStickyAssignor],
      },
      {
        subscribedTopics: () =>
          this.withBackgroundScope('metadata', (scope) => this.subscription.topicsForJoin(scope)),
        revoke: (partitions) => this.revoke(partitions),
        assign: (partitions) => this.assignFromGroup(partitions),
        lose: (partitions) => this.lose(partitions),
        fail: (error) => this.fail(error),
      },
      this.logger,
      this.emitter,
    );
    this.membership.start();
    this.subscription.watch(
      this.options.topicCheckIntervalMs ?? consumerDefaults.topicCheckIntervalMs,
      this.stopController.signal,
      () => this.membership?.requestRejoin('subscribed topics changed'),
    );
  }

  private async applyManualAssignment(): Promise<void> {
    const wanted = await this.withBackgroundScope('assign', (scope) =>
      this.subscription.manualPartitions(scope),
    );
    for (const { tp, fromBeginning } of wanted) {
      if (this.states.get(tp.topic, tp.partition) !== undefined) continue;
      const reset: ResetStrategy = fromBeginning
        ? { kind: 'earliest' }
        : this.subscription.defaultReset;
      this.states.add(tp, this.offsets === undefined ? reset : 'committed', reset);
    }
    this.fetcher.wake();
  }

  /** An assignment made while consuming could not be applied: say so; the rest goes on. */
  private onAssignFailed(error: unknown): void {
    if (this.stopController.signal.aborted) return; // stopped meanwhile: nothing to apply
    this.logger.error('assigned partitions cannot be consumed', { error });
    this.emitter.emit('error', { source: 'consumer', error });
  }

  private async assignFromGroup(partitions: TopicPartition[]): Promise<void> {
    for (const tp of partitions)
      this.states.add(tp, 'committed', this.subscription.resetFor(tp.topic));
    await this.options.rebalanceListener?.onPartitionsAssigned?.(partitions);
    this.fetcher.wake();
  }

  /** Stops delivering, waits for the handlers, commits what was consumed, then tells the app. */
  private async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    const removed = this.removeStates(partitions);
    await Promise.allSettled(
      partitions.map((tp) => this.processing.get(tpKey(tp.topic, tp.partition))),
    );
    if (this.autoCommit) {
      const offsets = removed
        .filter((s) => s.consumedOffset > s.committedOffset && s.consumedOffset >= 0)
        .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumedOffset }));
      await this.commitQuietly(offsets);
    }
    await this.options.rebalanceListener?.onPartitionsRevoked?.([...partitions]);
  }

  private async lose(partitions: readonly TopicPartition[]): Promise<void> {
    this.removeStates(partitions);
    await Promise.allSettled(
      partitions.map((tp) => this.processing.get(tpKey(tp.topic, tp.partition))),
    );
    await this.options.rebalanceListener?.onPartitionsLost?.([...partitions]);
  }

  private removeStates(partitions: readonly TopicPartition[]): PartitionState[] {
    const removed: PartitionState[] = [];
    for (const tp of partitions) {
      const state = this.states.remove(tp);
      if (state !== undefined) removed.push(state);
    }
    const keys = new Set(partitions.map((tp) => tpKey(tp.topic, tp.partition)));
    this.buffer.discard((chunk) => keys.has(tpKey(chunk.topic, chunk.partition)));
    return removed;
  }

  private delivery(): DeliveryContext {
    return {
      states: this.states,
      buffer: this.buffer,
      processing: this.processing,
      signal: this.stopController.signal,
      isRunning: () => this.mode === 'run' || this.mode === 'iterator',
      maybeAutoCommit: () => this.maybeAutoCommit(),
      onHandlerError: (state, error) => this.onHandlerError(state, error),
      onRecordsError: (state, error) => this.onRecordsError(state, error),
      pause: (topic, partition) => {
        this.pause([{ topic, partitions: [partition] }]);
        return () => this.resume([{ topic, partitions: [partition] }]);
      },
    };
  }

  /** The auto-commit started now, if one is due; undefined otherwise (no await needed). */
  private maybeAutoCommit(): Promise<void> | undefined {
    if (!this.autoCommit || Date.now() - this.lastAutoCommitMs < this.autoCommitIntervalMs)
      return undefined;
    this.lastAutoCommitMs = Date.now();
    if (this.committing !== undefined) return undefined;
    const committing = this.commitQuietly(this.uncommitted()).finally(() => {
      this.committing = undefined;
    });
    this.committing = committing;
    return committing;
  }

  private uncommitted() {
    return [...this.states.all()]
      .filter((s) => s.consumedOffset >= 0 && s.consumedOffset > s.committedOffset)
      .map((s) => ({ topic: s.topic, partition: s.partition, offset: s.consumedOffset }));
  }

  private async commitQuietly(offsets: { topic: string; partition: number; offset: number }[]) {
    if (this.offsets === undefined || offsets.length === 0) return;
    const scope = new CallScope('auto-commit', {}, this.cluster.options.requestTimeoutMs);
    try {
      await this.offsets.commit(offsets, scope);
      for (const o of offsets) {
        const state = this.states.get(o.topic, o.partition);
        if (state !== undefined && state.committedOffset < o.offset)
          state.committedOffset = o.offset;
      }
    } catch (error) {
      this.logger.warn('offset commit failed', { error });
      this.emitter.emit('error', { source: 'commit', error });
    } finally {
      scope.dispose();
    }
  }

  private onHandlerError(state: PartitionState, error: unknown): void {
    this.logger.error('message handler failed; the record will be delivered again', {
      topic: state.topic,
      partition: state.partition,
      error,
    });
    this.emitter.emit('error', { source: 'handler', error });
    this.redeliverLater(state);
  }

  private onRecordsError(state: PartitionState, error: unknown): void {
    this.logger.error('fetched records cannot be decoded; fetching them again after a backoff', {
      topic: state.topic,
      partition: state.partition,
      error,
    });
    this.emitter.emit('error', { source: 'fetch', error });
    this.redeliverLater(state);
  }

  /** Fetches again from the first record not consumed, after a backoff. */
  private redeliverLater(state: PartitionState): void {
    this.states.position(state, state.consumedOffset);
    state.failures += 1;
    state.retryAtMs = Date.now() + backoffDelayMs(state.failures - 1, this.cluster.options.retry);
    this.dropBuffered(state);
    this.fetcher.wake();
  }

  private onOutOfRange(state: PartitionState, error: TributaryClientError): void {
    const reset = state.resetFallback;
    if (reset.kind === 'none') {
      this.fail(error);
      return;
    }
    this.logger.warn('offset out of range; resetting', {
      topic: state.topic,
      partition: state.partition,
      reset: reset.kind,
    });
    this.states.unposition(state, reset);
    this.resolvePositions();
  }

  /** Finds positions for partitions that lack one, retrying until done or stopped. */
  private resolvePositions(): void {
    if (this.resolving) return;
    this.resolving = true;
    void (async () => {
      for (let attempt = 0; this.mode === 'run' || this.mode === 'iterator'; attempt += 1) {
        if (![...this.states.all()].some((s) => s.pending !== undefined)) break;
        const scope = this.scopeForBackground('positions');
        try {
          await this.resolver.resolve(scope);
          attempt = -1;
          this.fetcher.wake();
        } catch (error) {
          // A failed round may still have positioned some partitions: fetch those now.
          this.fetcher.wake();
          if (error instanceof TributaryProtocolError && error.is(ErrorCode.OffsetOutOfRange)) {
            this.fail(error);
            break;
          }
          this.logger.debug('finding positions failed; retrying', { error });
          await sleep(
            backoffDelayMs(attempt, this.cluster.options.retry),
            this.stopController.signal,
          ).catch(() => {});
        } finally {
          scope.dispose();
        }
      }
      this.resolving = false;
    })();
  }

  private fail(error: TributaryClientError): void {
    this.failure = error;
    this.logger.error('consumer failed', { error });
    this.emitter.emit('error', { source: 'consumer', error });
    this.buffer.close(error);
    void this.stop();
  }

  private dropBuffered(state: PartitionState): void {
    const key = tpKey(state.topic, state.partition);
    this.buffer.discard((chunk) => tpKey(chunk.topic, chunk.partition) === key);
  }

  private matching(
    topics: readonly { topic: string; partitions?: readonly number[] }[],
  ): PartitionState[] {
    return [...this.states.all()].filter((s) =>
      topics.some(
        (t) =>
          t.topic === s.topic && (t.partitions === undefined || t.partitions.includes(s.partition)),
      ),
    );
  }

  private scopeForBackground(what: string): CallScope {
    return new CallScope(
      what,
      { signal: this.stopController.signal },
      this.cluster.options.requestTimeoutMs,
    );
  }

  private async withBackgroundScope<T>(
    what: string,
    body: (scope: CallScope) => Promise<T>,
  ): Promise<T> {
    const scope = this.scopeForBackground(what);
    try {
      return await this.cluster.retry(scope, () => body(scope));
    } finally {
      scope.dispose();
    }
  }

  private throwIfClosed(): void {
    if (this.mode === 'closed') throw new ClientClosedError('consumer closed');
  }
}
