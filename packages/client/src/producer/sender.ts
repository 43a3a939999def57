/**
 * The sender drains the accumulator: it picks each partition's sendable batch, groups
 * batches by leader and acks level into Produce requests (one batch per partition per
 * request, at most `maxInFlightPerBroker` requests per broker), sends them, and hands each
 * batch's outcome back to its partition queue. It runs when records arrive, when responses
 * come back, and on a timer for lingering batches and retry backoffs.
 */
import {
  type Acks,
  Api,
  ErrorCode,
  type ProducePartitionResult,
  type ProduceRequest,
} from '@tributary/protocol';
import { CallScope } from '../abort.ts';
import { backoffDelayMs } from '../backoff.ts';
import {
  ClientClosedError,
  protocolError,
  TimeoutError,
  TributaryClientError,
  TributaryProtocolError,
} from '../errors.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import type { Logger } from '../logger.ts';
import type { Cluster } from '../net/cluster.ts';
import type { RecordAccumulator } from './accumulator.ts';
import type { ProducerBatch } from './batch.ts';
import type { IdentityManager } from './identity.ts';
import type { BatchOutcome, PartitionQueue } from './partition-queue.ts';

export interface SenderOptions {
  readonly idempotent: boolean;
  readonly maxInFlightPerBroker: number;
  readonly requestTimeoutMs: number;
  readonly produceRequestBytesMax: number;
  readonly lingerMs: number;
  readonly batchBytes: number;
}

/** Batches remembered per producer by a broker: the idempotent in-flight bound per partition. */
export const idempotentInflightPerPartitionMax = 5;

/** Pause before a partition asks again for a new epoch after that request failed. */
const epochRetryMs = 1_000;

interface Request {
  readonly nodeId: number;
  readonly acks: Acks;
  readonly entries: { queue: PartitionQueue; batch: ProducerBatch; bytes: Uint8Array }[];
  sizeBytes: number;
}

export class Sender {
  private readonly inflightPerBroker = new Map<number, number>();
  private flushing = 0;
  private scheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private refreshingMetadata = false;
  private closed = false;
  /**
   * Partitions waiting for a new epoch: its request is in flight (undefined) or its retry
   * is scheduled (the timer). One at a time per partition, ended by `close`.
   */
  private readonly epochWaits = new Map<
    PartitionQueue,
    ReturnType<typeof setTimeout> | undefined
  >();

  constructor(
    private readonly cluster: Cluster,
    private readonly accumulator: RecordAccumulator,
    private readonly identities: IdentityManager | undefined,
    private readonly options: SenderOptions,
    private readonly logger: Logger,
    private readonly emitter: ClientEmitter,
  ) {}

  /** Asks for a drain soon (coalesced: many wakes in one tick drain once). */
  wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  /** Sends everything buffered now, without lingering; resolves when all is settled. */
  async flush(signal: AbortSignal): Promise<void> {
    this.beginFlush();
    try {
      await waitForBatches(this.accumulator.unfinished(), signal);
    } finally {
      this.endFlush();
    }
  }

  /** While flushing, batches go out without waiting for their linger time. */
  beginFlush(): void {
    this.flushing += 1;
    this.wake();
  }

  endFlush(): void {
    this.flushing -= 1;
  }

  close(error: TributaryClientError): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const retry of this.epochWaits.values()) if (retry !== undefined) clearTimeout(retry);
    this.epochWaits.clear();
    for (const queue of this.accumulator.allQueues()) queue.failAll(error);
  }

  private drain(): void {
    if (this.closed) return;
    const nowMs = Date.now();
    if (this.cluster.isStale) this.refreshMetadataSoon();
    this.expireBatches(nowMs);
    for (let round = 0; round < 1_000; round += 1) {
      const requests = this.collect(nowMs);
      if (requests.length === 0) break;
      for (const request of requests) this.dispatch(request);
    }
    this.armTimer();
  }

  private expireBatches(nowMs: number): void {
    for (const queue of this.accumulator.allQueues()) {
      queue.expire(nowMs, (batch) => {
        const what = batch.outcomeUnknown ? 'may or may not have been written' : 'was not written';
        return new TimeoutError(
          `batch for ${batch.topic}/${batch.partition} passed its delivery timeout and ${what}`,
        );
      });
      this.maybeNewEpoch(queue);
    }
  }

  /** One round: at most one batch per partition, grouped into requests per broker and acks. */
  private collect(nowMs: number): Request[] {
    const requests = new Map<string, Request>();
    const planned = new Map<number, number>();
    const inflightMax = this.options.idempotent
      ? Math.min(this.options.maxInFlightPerBroker, idempotentInflightPerPartitionMax)
      : this.options.maxInFlightPerBroker;
    const sendableOptions = {
      nowMs,
      lingerMs: this.options.lingerMs,
      batchBytes: this.options.batchBytes,
      flushing: this.flushing > 0,
      inflightMax,
    };
    for (const queue of this.accumulator.allQueues()) {
      const batch = queue.sendable(sendableOptions);
      if (batch === undefined) continue;
      const nodeId = this.cluster.metadata.leaderOf(queue.topic, queue.partition);
      if (nodeId < 0) {
        this.refreshMetadataSoon();
        continue;
      }
      const key = `${nodeId}\u0000${String(batch.settings.acks)}`;
      let request = requests.get(key);
      if (
        request !== undefined &&
        request.sizeBytes + batch.sizeBytes > this.options.produceRequestBytesMax
      ) {
        continue; // next round, in the next request
      }
      if (request === undefined) {
        const used = (this.inflightPerBroker.get(nodeId) ?? 0) + (planned.get(nodeId) ?? 0);
        if (used >= this.options.maxInFlightPerBroker) continue;
      }
      const bytes = this.take(queue, batch);
      if (bytes === undefined) continue;
      if (request === undefined) {
        planned.set(nodeId, (planned.get(nodeId) ?? 0) + 1);
        request = { nodeId, acks: batch.settings.acks, entries: [], sizeBytes: 0 };
        requests.set(key, request);
      }
      batch.requestTaken();
      request.entries.push({ queue, batch, bytes });
      request.sizeBytes += bytes.byteLength;
    }
    return [...requests.values()];
  }

  /**
   * Encodes the head batch for sending. A batch the record codec refuses fails its sends
   * with a typed error; the sender runs in a timer, where a throw would end the process.
   * (`send` checks records against the codec's limits first, so this is a last line.)
   */
  private take(queue: PartitionQueue, batch: ProducerBatch): Uint8Array | undefined {
    try {
      return queue.take(batch, this.options.idempotent);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      const error =
        cause instanceof TributaryClientError
          ? cause
          : new TributaryProtocolError(
              ErrorCode.InvalidRecord,
              `batch for ${batch.topic}/${batch.partition} cannot be encoded (${reason})`,
              { cause },
            );
      queue.refuse(batch, error);
      this.emitter.emit('error', { source: 'producer', error });
      this.wake(); // the batches behind it may go at once
      return undefined;
    }
  }

  private dispatch(request: Request): void {
    const { nodeId } = request;
    this.inflightPerBroker.set(nodeId, (this.inflightPerBroker.get(nodeId) ?? 0) + 1);
    const body = produceBody(request, this.options.requestTimeoutMs);
    const scope = new CallScope(
      'produce',
      {},
      this.options.requestTimeoutMs * 2,
      this.cluster.lifetime,
    );
    const sending =
      request.acks === 0
        ? this.cluster.send(nodeId, Api.Produce, body, scope).then(() => undefined)
        : this.cluster.request(nodeId, Api.Produce, body, scope, this.options.requestTimeoutMs);
    sending
      .then(
        (response) => this.onResponse(request, response?.topics),
        (error: unknown) => this.onRequestFailed(request, error),
      )
      .finally(() => {
        for (const { batch } of request.entries) batch.requestSettled();
        scope.dispose();
        this.inflightPerBroker.set(nodeId, (this.inflightPerBroker.get(nodeId) ?? 1) - 1);
        this.wake();
      });
  }

  private onResponse(
    request: Request,
    topics: { name: string; partitions: ProducePartitionResult[] }[] | undefined,
  ): void {
    for (const { queue, batch } of request.entries) {
      let outcome: BatchOutcome;
      if (topics === undefined) {
        outcome = { kind: 'written', baseOffset: -1, logStartOffset: -1 }; // acks 0
      } else {
        const result = topics
          .find((t) => t.name === queue.topic)
          ?.partitions.find((p) => p.partition === queue.partition);
        outcome =
          result === undefined
            ? {
                kind: 'retry',
                error: protocolError(
                  ErrorCode.UnknownServerError.code,
                  'partition missing from response',
                ),
              }
            : this.outcomeOf(queue, result, request.nodeId);
      }
      this.complete(queue, batch, outcome);
    }
  }

  private outcomeOf(
    queue: PartitionQueue,
    result: ProducePartitionResult,
    nodeId: number,
  ): BatchOutcome {
    const code = result.error;
    if (code === ErrorCode.None.code || code === ErrorCode.DuplicateSequence.code) {
      return {
        kind: 'written',
        baseOffset: result.baseOffset,
        logStartOffset: result.logStartOffset,
      };
    }
    const details = result.leaderHint === undefined ? {} : { leaderId: result.leaderHint };
    const error = protocolError(code, result.message, { nodeId, details });
    if (code === ErrorCode.NotLeader.code) {
      this.cluster.noteNotLeader(queue.topic, queue.partition, result.leaderHint);
    } else {
      this.cluster.noteError(error);
    }
    if (code === ErrorCode.OutOfOrderSequence.code) return { kind: 'outOfOrder', error };
    if (code === ErrorCode.UnknownProducerId.code) return { kind: 'unknownProducer', error };
    if (code === ErrorCode.InvalidProducerEpoch.code) return { kind: 'producerFenced', error };
    return error.retriable ? { kind: 'retry', error } : { kind: 'rejected', error };
  }

  private onRequestFailed(request: Request, error: unknown): void {
    this.cluster.noteError(error);
    const closed = error instanceof ClientClosedError || this.closed;
    for (const { queue, batch } of request.entries) {
      let outcome: BatchOutcome;
      if (closed) outcome = { kind: 'rejected', error };
      else if (error instanceof TributaryClientError && error.retriable)
        outcome = { kind: 'retry', error };
      else if (error instanceof TributaryProtocolError && request.acks !== 0)
        outcome = { kind: 'rejected', error };
      else outcome = { kind: 'retry', error };
      this.complete(queue, batch, outcome);
    }
  }

  private complete(queue: PartitionQueue, batch: ProducerBatch, outcome: BatchOutcome): void {
    if (outcome.kind !== 'written') {
      batch.retryAtMs = Date.now() + backoffDelayMs(batch.attempts - 1, this.cluster.options.retry);
      if (outcome.kind === 'rejected')
        this.emitter.emit('error', { source: 'producer', error: outcome.error });
    }
    queue.complete(batch, outcome);
    this.maybeNewEpoch(queue);
  }

  /** A partition that must restart its sequences gets a new epoch once it is quiet. */
  private maybeNewEpoch(queue: PartitionQueue): void {
    if (!queue.needsNewEpoch || this.identities === undefined || this.closed) return;
    // Every drain asks; without this, each started its own request and, when that failed,
    // its own retry timer, so timers grew with the drains of an outage and outlived close.
    if (this.epochWaits.has(queue)) return;
    this.epochWaits.set(queue, undefined);
    const scope = new CallScope('new producer epoch', {}, 60_000, this.cluster.lifetime);
    this.identities
      .bump(scope)
      .then(
        (identity) => {
          this.epochWaits.delete(queue);
          if (queue.needsNewEpoch) queue.adoptIdentity(identity);
          this.accumulator.identity = identity;
          this.wake();
        },
        (error: unknown) => {
          if (this.closed) return;
          this.logger.warn('could not get a new producer epoch', { error });
          const retry = setTimeout(() => {
            this.epochWaits.delete(queue);
            this.maybeNewEpoch(queue);
          }, epochRetryMs);
          retry.unref();
          this.epochWaits.set(queue, retry);
        },
      )
      .finally(() => scope.dispose());
  }

  private refreshMetadataSoon(): void {
    if (this.refreshingMetadata || this.closed) return;
    this.refreshingMetadata = true;
    void this.cluster.refreshSoon().then(() => {
      this.refreshingMetadata = false;
      this.wake();
    });
  }

  private armTimer(): void {
    const deadlines: number[] = [];
    const linger = this.accumulator.nextLingerDeadlineMs();
    if (linger !== undefined) deadlines.push(linger);
    for (const batch of this.accumulator.unfinished()) deadlines.push(batch.deadlineMs);
    if (deadlines.length === 0) return;
    const atMs = Math.max(Date.now(), Math.min(...deadlines));
    if (this.timer !== undefined && this.timerAtMs <= atMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.drain();
    }, atMs - Date.now());
  }
}

function produceBody(request: Request, timeoutMs: number): ProduceRequest {
  const topics = new Map<string, { partition: number; records: Uint8Array }[]>();
  for (const { queue, bytes } of request.entries) {
    let partitions = topics.get(queue.topic);
    if (partitions === undefined) {
      partitions = [];
      topics.set(queue.topic, partitions);
    }
    partitions.push({ partition: queue.partition, records: bytes });
  }
  return {
    acks: request.acks,
    timeoutMs,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
  };
}

function waitForBatches(batches: readonly ProducerBatch[], signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let remaining = batches.filter((b) => !b.done).length;
    if (remaining === 0) {
      resolve();
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    for (const batch of batches) {
      if (batch.done) continue;
      batch.whenDone(() => {
        remaining -= 1;
        if (remaining === 0) {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }
      });
    }
  });
}
