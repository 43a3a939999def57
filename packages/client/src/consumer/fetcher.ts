/**
 * The fetcher keeps one long-poll Fetch in flight per broker, for the partitions that
 * broker leads and that are ready: position known, not paused, not backing off after an
 * error, and with fewer than two untaken chunks in the prefetch buffer (which also has to
 * have room).
 * The broker answers as soon as `minBytes` are there or after `maxWaitMs`, so a consumer at
 * the end of the log receives new records as they are committed.
 *
 * Every batch's CRC-32C is checked before it reaches the application. A partition whose
 * fetch fails backs off (exponentially, with jitter) while the others carry on.
 */
import {
  Api,
  checkRecordBatch,
  ErrorCode,
  type FetchPartitionResult,
  type FetchRequest,
  RecordBatchView,
  splitRecordBatches,
} from '@tributary/protocol';
import { CallScope } from '../abort.ts';
import { backoffDelayMs } from '../backoff.ts';
import { protocolError, TributaryClientError, type TributaryProtocolError } from '../errors.ts';
import type { Cluster } from '../net/cluster.ts';
import type { MessageBuffer } from './message-buffer.ts';
import type { PartitionState, PartitionStates } from './partition-states.ts';

export interface FetcherOptions {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
}

export interface FetcherHooks {
  /** A partition's offset is outside the log: apply the reset policy. */
  readonly onOutOfRange: (state: PartitionState, error: TributaryProtocolError) => void;
  /** A partition's position is unknown: find it (committed offset or reset). */
  readonly onPositionsNeeded: () => void;
  readonly onError: (error: unknown) => void;
}

interface Requested {
  readonly state: PartitionState;
  readonly epoch: number;
  readonly offset: number;
}

/**
 * Chunks of one partition that may wait untaken before it is fetched again: two, so the
 * next answer is already on its way while the application works through the one before.
 */
const untakenChunksPerPartitionMax = 2;

export class Fetcher {
  private readonly busyBrokers = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private refreshing = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly states: PartitionStates,
    private readonly buffer: MessageBuffer,
    private readonly options: FetcherOptions,
    private readonly hooks: FetcherHooks,
  ) {}

  start(): void {
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Issues fetches to every idle broker that has ready partitions. */
  wake(): void {
    if (!this.running || this.cluster.closed) return;
    if (this.cluster.isStale) this.refreshMetadata();
    const nowMs = Date.now();
    const byBroker = new Map<number, Requested[]>();
    let earliestRetryMs = Number.POSITIVE_INFINITY;
    let positionsNeeded = false;
    for (const state of this.states.all()) {
      if (state.pending !== undefined) positionsNeeded = true;
      if (!this.ready(state)) continue;
      if (state.retryAtMs > nowMs) {
        earliestRetryMs = Math.min(earliestRetryMs, state.retryAtMs);
        continue;
      }
      const leader = this.cluster.metadata.leaderOf(state.topic, state.partition);
      if (leader < 0) {
        this.refreshMetadata();
        continue;
      }
      if (this.busyBrokers.has(leader)) continue;
      const list = byBroker.get(leader) ?? [];
      list.push({ state, epoch: state.epoch, offset: state.fetchOffset });
      byBroker.set(leader, list);
    }
    if (positionsNeeded) this.hooks.onPositionsNeeded();
    for (const [nodeId, requested] of byBroker) this.fetch(nodeId, requested);
    if (earliestRetryMs < Number.POSITIVE_INFINITY) this.wakeAt(earliestRetryMs);
  }

  private ready(state: PartitionState): boolean {
    return (
      state.pending === undefined &&
      !state.paused &&
      state.fetchOffset >= 0 &&
      this.buffer.hasRoom &&
      this.buffer.untakenCount(state.topic, state.partition) < untakenChunksPerPartitionMax
    );
  }

  private fetch(nodeId: number, requested: Requested[]): void {
    this.busyBrokers.add(nodeId);
    const request = this.request(requested);
    const scope = new CallScope(
      'fetch',
      {},
      this.cluster.options.requestTimeoutMs + this.options.maxWaitMs,
      this.cluster.lifetime,
    );
    this.cluster
      .request(nodeId, Api.Fetch, request, scope, this.options.maxWaitMs)
      .then(
        (response) => {
          for (const topic of response.topics) {
            for (const result of topic.partitions)
              this.onResult(requested, topic.name, result, nodeId);
          }
        },
        (error: unknown) => this.onFailure(requested, error),
      )
      .finally(() => {
        scope.dispose();
        this.busyBrokers.delete(nodeId);
        this.wake();
      });
  }

  private request(requested: readonly Requested[]): FetchRequest {
    const topics = new Map<string, FetchRequest['topics'][number]['partitions']>();
    for (const { state, offset } of requested) {
      const list = topics.get(state.topic) ?? [];
      list.push({
        partition: state.partition,
        offset,
        maxBytes: this.options.maxBytesPerPartition,
      });
      topics.set(state.topic, list);
    }
    return {
      maxWaitMs: this.options.maxWaitMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.maxBytes,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    };
  }

  private onResult(
    requested: readonly Requested[],
    topic: string,
    result: FetchPartitionResult,
    nodeId: number,
  ) {
    const entry = requested.find(
      (r) => r.state.topic === topic && r.state.partition === result.partition,
    );
    if (entry === undefined) return;
    const { state } = entry;
    // Moved on since (seek, pause, revoke): this answer no longer applies.
    if (this.states.get(topic, result.partition) !== state || state.epoch !== entry.epoch) return;
    if (state.fetchOffset !== entry.offset) return;
    if (result.error === ErrorCode.None.code) {
      this.onRecords(state, entry, result);
      return;
    }
    const details = {
      ...(result.leaderHint === undefined ? {} : { leaderId: result.leaderHint }),
      logStartOffset: result.logStartOffset,
      logEndOffset: result.highWatermark,
    };
    const error = protocolError(result.error, result.message, { nodeId, details });
    if (result.error === ErrorCode.OffsetOutOfRange.code) {
      this.hooks.onOutOfRange(state, error);
      return;
    }
    if (result.error === ErrorCode.NotLeader.code) {
      this.cluster.noteNotLeader(topic, result.partition, result.leaderHint);
    } else {
      this.cluster.noteError(error);
      if (!error.retriable) this.hooks.onError(error);
    }
    this.backOff(state);
  }

  private onRecords(state: PartitionState, entry: Requested, result: FetchPartitionResult): void {
    state.highWatermark = result.highWatermark;
    state.failures = 0;
    if (result.records.byteLength === 0) return;
    let batches: Uint8Array[];
    try {
      batches = splitRecordBatches(result.records).map((bytes) => checkRecordBatch(bytes).bytes);
    } catch (cause) {
      this.hooks.onError(
        protocolError(
          ErrorCode.CorruptMessage.code,
          `${state.topic}/${state.partition}: ${String(cause)}`,
        ),
      );
      this.backOff(state);
      return;
    }
    const last = new RecordBatchView(batches[batches.length - 1]!);
    const nextOffset = last.lastOffset + 1;
    if (nextOffset <= entry.offset) return; // nothing new (a batch wholly before the position)
    state.fetchOffset = nextOffset;
    this.buffer.push({
      topic: state.topic,
      partition: state.partition,
      epoch: state.epoch,
      batches,
      fromOffset: entry.offset,
      nextOffset,
      highWatermark: result.highWatermark,
      sizeBytes: result.records.byteLength,
    });
  }

  private onFailure(requested: readonly Requested[], error: unknown): void {
    this.cluster.noteError(error);
    if (this.cluster.closed) return;
    if (!(error instanceof TributaryClientError) || !error.retriable) this.hooks.onError(error);
    for (const { state, epoch } of requested) if (state.epoch === epoch) this.backOff(state);
  }

  private backOff(state: PartitionState): void {
    state.failures += 1;
    state.retryAtMs = Date.now() + backoffDelayMs(state.failures - 1, this.cluster.options.retry);
  }

  private refreshMetadata(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    void this.cluster.refreshSoon().then(() => {
      this.refreshing = false;
      this.wake();
    });
  }

  private wakeAt(atMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.wake();
      },
      Math.max(0, atMs - Date.now()),
    );
  }
}
