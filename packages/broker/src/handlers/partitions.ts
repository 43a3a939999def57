/**
 * Produce, Fetch and ListOffsets: the data path. Each request names many partitions; each
 * partition is answered on its own (an error in one does not fail the others).
 */
import {
  CorruptBatchError,
  checkRecordBatch,
  ErrorCode,
  earliestTimestamp,
  type FetchPartitionParts,
  type FetchRequest,
  type FetchResponseParts,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  latestTimestamp,
  type ProducePartitionResult,
  type ProduceRequest,
  type ProduceResponse,
  ProtocolError,
  RecordBatchTooLargeError,
  splitRecordBatches,
} from '@tributary/protocol';
import { OffsetOutOfRangeError, type ReadResult, StorageError } from '@tributary/storage';
import { ReplicaFencedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MetadataState } from '../metadata/state.ts';
import { topicConfigValue } from '../metadata/topic-configs.ts';
import type { ReplicaManager } from '../node/replica-manager.ts';
import type { PartitionReplica } from '../partition/replica.ts';

export interface DataPathContext {
  readonly state: () => MetadataState;
  readonly replicas: ReplicaManager;
  readonly logger: Logger;
  /** The node's own cap on a batch, whatever the topic allows. */
  readonly messageBytesMax: number;
}

/** The local leader replica of a partition, or the error that explains why not. */
function leaderReplica(
  context: DataPathContext,
  topic: string,
  partition: number,
): PartitionReplica {
  const record = context.state().partition(topic, partition);
  if (!record) throw new ProtocolError(ErrorCode.UnknownTopicOrPartition, `${topic}/${partition}`);
  const replica = context.replicas.get(topic, partition);
  if (!replica) {
    const hint = record.leader > 0 ? { details: { leaderId: record.leader } } : {};
    throw new ProtocolError(ErrorCode.NotLeader, 'no replica of it here', hint);
  }
  replica.requireLeader();
  return replica;
}

function errorFields(
  error: unknown,
  logger: Logger,
): { error: number; message?: string; leaderHint?: number } {
  if (error instanceof ProtocolError) {
    const hint = error.details.leaderId;
    return {
      error: error.code,
      message: error.message,
      ...(hint === undefined ? {} : { leaderHint: hint }),
    };
  }
  if (error instanceof CorruptBatchError)
    return { error: ErrorCode.CorruptMessage.code, message: error.message };
  if (error instanceof RecordBatchTooLargeError)
    return { error: ErrorCode.MessageTooLarge.code, message: error.message };
  // The partition log names the answer for its own errors (a read or write the disk
  // refused fenced it: KAFKA_STORAGE_ERROR), and says whether it fenced the log.
  if (error instanceof StorageError) {
    if (error.fatal)
      logger.error('partition log failed', { error: error.stack, cause: String(error.cause) });
    return { error: error.protocolError.code, message: error.message };
  }
  // The replica logged its fencing when it happened.
  if (error instanceof ReplicaFencedError)
    return { error: ErrorCode.StorageError.code, message: error.message };
  logger.error('partition request failed', { error: (error as Error)?.stack ?? String(error) });
  return {
    error: ErrorCode.UnknownServerError.code,
    message: (error as Error)?.message ?? String(error),
  };
}

/** Splits and checks the batches of one partition's records: header, CRC, size, count. */
function checkBatches(records: Uint8Array, sizeBytesMax: number): Uint8Array[] {
  const batches = splitRecordBatches(records);
  if (batches.length === 0) throw new ProtocolError(ErrorCode.InvalidRecord, 'no record batch');
  for (const bytes of batches) {
    const batch = checkRecordBatch(bytes, { sizeBytesMax });
    if (batch.recordCount < 1)
      throw new ProtocolError(ErrorCode.InvalidRecord, 'a batch must hold at least one record');
    if (batch.isControl || batch.isTransactional) {
      throw new ProtocolError(
        ErrorCode.InvalidRecord,
        'transactional and control batches are not supported',
      );
    }
  }
  return batches;
}

async function producePartition(
  context: DataPathContext,
  request: ProduceRequest,
  topic: string,
  partition: number,
  records: Uint8Array,
): Promise<ProducePartitionResult> {
  try {
    const replica = leaderReplica(context, topic, partition);
    const configs = context.state().topics.get(topic)?.configs ?? {};
    const limit = Math.min(
      Number(topicConfigValue(configs, 'max.message.bytes')),
      context.messageBytesMax,
    );
    const batches = checkBatches(records, limit);
    const outcome = await replica.produce(batches, request.acks, request.timeoutMs);
    return {
      partition,
      error: 0,
      baseOffset: outcome.baseOffset,
      logStartOffset: outcome.logStartOffset,
    };
  } catch (error) {
    return { partition, baseOffset: -1, logStartOffset: -1, ...errorFields(error, context.logger) };
  }
}

export async function handleProduce(
  context: DataPathContext,
  request: ProduceRequest,
): Promise<ProduceResponse> {
  const topics = await Promise.all(
    request.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map((p) => producePartition(context, request, t.name, p.partition, p.records)),
      ),
    })),
  );
  return { topics };
}

interface FetchTarget {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly maxBytes: number;
}

/**
 * The storage reads one Fetch answer holds: their batches are views of read buffers that
 * `release` lends back to the log for later reads, once the answer has been copied into
 * its frame or thrown away. Never before: the pieces of the frame are those views.
 */
class HeldReads {
  private readonly releases: (() => void)[] = [];

  hold(read: ReadResult): void {
    this.releases.push(read.release);
  }

  release = (): void => {
    for (const release of this.releases.splice(0)) release();
  };
}

async function fetchPartition(
  context: DataPathContext,
  target: FetchTarget,
  budget: { bytes: number; first: boolean },
  held: HeldReads,
): Promise<FetchPartitionParts> {
  const base = {
    partition: target.partition,
    highWatermark: -1,
    logStartOffset: -1,
    records: [],
  };
  let replica: PartitionReplica | undefined;
  try {
    replica = leaderReplica(context, target.topic, target.partition);
    const limit = Math.min(target.maxBytes, budget.bytes);
    // The first batch is returned even beyond the limits, so a consumer always progresses.
    const read = await replica.read(target.offset, budget.first ? Math.max(limit, 1) : limit);
    held.hold(read);
    if (!budget.first && read.sizeBytes > limit)
      return {
        ...base,
        error: 0,
        highWatermark: read.logEndOffset,
        logStartOffset: read.logStartOffset,
      };
    if (read.sizeBytes > 0) budget.first = false;
    budget.bytes = Math.max(0, budget.bytes - read.sizeBytes);
    return {
      ...base,
      error: 0,
      highWatermark: read.logEndOffset,
      logStartOffset: read.logStartOffset,
      // The stored batches as read, by reference: the response frame copies them once.
      records: read.batches,
    };
  } catch (error) {
    if (error instanceof OffsetOutOfRangeError) {
      return {
        ...base,
        error: ErrorCode.OffsetOutOfRange.code,
        message: error.message,
        highWatermark: replica?.highWatermark ?? -1,
        logStartOffset: replica?.log.logStartOffset ?? -1,
      };
    }
    return { ...base, ...errorFields(error, context.logger) };
  }
}

function fetchTargets(request: FetchRequest): FetchTarget[] {
  return request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partition,
      offset: p.offset,
      maxBytes: p.maxBytes,
    })),
  );
}

async function readAll(
  context: DataPathContext,
  request: FetchRequest,
  targets: FetchTarget[],
  held: HeldReads,
): Promise<FetchResponseParts> {
  const budget = { bytes: request.maxBytes, first: true };
  const results: FetchPartitionParts[] = [];
  for (const target of targets) results.push(await fetchPartition(context, target, budget, held));
  const byTopic = new Map<string, FetchPartitionParts[]>();
  targets.forEach((target, i) => {
    const list = byTopic.get(target.topic) ?? [];
    list.push(results[i] as FetchPartitionParts);
    byTopic.set(target.topic, list);
  });
  return { topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
}

function responseBytes(response: FetchResponseParts): number {
  let bytes = 0;
  for (const t of response.topics)
    for (const p of t.partitions) for (const batch of p.records) bytes += batch.byteLength;
  return bytes;
}

function hasErrors(response: FetchResponseParts): boolean {
  return response.topics.some((t) => t.partitions.some((p) => p.error !== 0));
}

/**
 * Long poll: answer once `minBytes` are there, an error occurs, or `maxWaitMs` passes. The
 * answer holds storage read buffers: the caller calls `release` once it has copied the
 * answer into a frame or dropped it (or never: unreleased buffers are garbage collected).
 */
export async function handleFetch(
  context: DataPathContext,
  request: FetchRequest,
  closed: AbortSignal,
): Promise<{ response: FetchResponseParts; release: () => void }> {
  const targets = fetchTargets(request);
  const deadline = Date.now() + request.maxWaitMs;
  for (;;) {
    const held = new HeldReads();
    const response = await readAll(context, request, targets, held);
    const remaining = deadline - Date.now();
    if (
      responseBytes(response) >= Math.max(request.minBytes, 1) ||
      hasErrors(response) ||
      remaining <= 0 ||
      closed.aborted
    ) {
      return { response, release: held.release };
    }
    // Too little to answer with yet: these reads are not kept, the next round reads again.
    held.release();
    await anyDataOrTimeout(context, targets, remaining, closed);
  }
}

/**
 * Resolves when any target's log grows past the fetched offset (at once for a partition
 * no longer here: the next round reports it), after `timeoutMs`, or when the connection
 * closes.
 */
function anyDataOrTimeout(
  context: DataPathContext,
  targets: readonly FetchTarget[],
  timeoutMs: number,
  closed: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const stops: (() => void)[] = [];
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      closed.removeEventListener('abort', finish);
      for (const stop of stops) stop();
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    closed.addEventListener('abort', finish, { once: true });
    for (const target of targets) {
      if (finished) break;
      const replica = context.replicas.get(target.topic, target.partition);
      if (replica === undefined) finish();
      else stops.push(replica.onDataPast(target.offset, finish));
    }
  });
}

export async function handleListOffsets(
  context: DataPathContext,
  request: ListOffsetsRequest,
): Promise<ListOffsetsResponse> {
  const topics = await Promise.all(
    request.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async ({ partition, timestamp }) => {
          try {
            const replica = leaderReplica(context, t.name, partition);
            if (timestamp === earliestTimestamp)
              return { partition, error: 0, offset: replica.log.logStartOffset, timestamp: -1 };
            // The end, or where a timestamp falls, needs every committed record applied.
            replica.requireCaughtUp();
            if (timestamp === latestTimestamp)
              return { partition, error: 0, offset: replica.highWatermark, timestamp: -1 };
            const hit = await replica.log.offsetForTimestamp(timestamp);
            return hit
              ? { partition, error: 0, offset: hit.offset, timestamp: hit.timestamp }
              : { partition, error: 0, offset: -1, timestamp: -1 };
          } catch (error) {
            return { partition, offset: -1, timestamp: -1, ...errorFields(error, context.logger) };
          }
        }),
      ),
    })),
  );
  return { topics };
}
