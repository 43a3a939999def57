/**
 * Runs one source task: recover (read stored offsets and the topics' tails back), start
 * the task after its resume points, then poll → transform → convert → produce, with up to
 * `sourceInflightBatchesMax` poll batches in flight, acknowledged in order, and positions
 * stored every `offsetFlushIntervalMs`. Records carry their source, sequence number and
 * position as headers (see `source-recovery.ts` for why: a restart produces every record
 * exactly once). Stops when the signal fires: waits for what is in flight, stores the
 * positions, stops the task.
 */
import {
  type Admin,
  type Client,
  type Message,
  type Producer,
  partitionForKey,
  type RecordMetadata,
} from '@tributary/client';
import type { ConnectorConfig } from '../config/connector-config.ts';
import type { SourceTask, TaskLogger } from '../connector.ts';
import { ConnectError, RecordError } from '../errors.ts';
import { headerNames, limits } from '../limits.ts';
import type { SourceRecord } from '../records.ts';
import { applyTransforms } from '../transforms/transform-chain.ts';
import { bytesForDeadLetter, deadLetterHeaders, toleranceOf } from './dead-letters.ts';
import { emptyOffset, type OffsetStore, offsetKey } from './offset-store.ts';
import { sleep } from './sleep.ts';
import { type BatchProgress, SourceProgress } from './source-progress.ts';
import { recoverSourcePartitions } from './source-recovery.ts';
import { ensureTopic, partitionCount } from './topics.ts';

export interface SourceRunnerDeps {
  readonly client: Client;
  readonly admin: Admin;
  readonly offsets: OffsetStore;
  readonly log: TaskLogger;
}

interface InFlight {
  readonly sent: Promise<RecordMetadata[]>;
  readonly progress: BatchProgress;
  settled: boolean;
}

type Outgoing = Message & { readonly topic: string };

export class SourceTaskRunner {
  private readonly inFlight: InFlight[] = [];
  private readonly partitionCounts = new Map<string, number>();
  private progress: SourceProgress | undefined;
  private producer: Producer | undefined;
  private lastFlushMs = Date.now();

  constructor(
    private readonly deps: SourceRunnerDeps,
    private readonly config: ConnectorConfig,
    private readonly task: SourceTask,
  ) {}

  /** Runs until the signal fires (resolves) or the task fails (rejects). */
  async run(signal: AbortSignal, onStarted: () => void): Promise<void> {
    this.producer = this.deps.client.producer({ lingerMs: 5 });
    try {
      await this.producer.connect({ signal });
      if (this.config.deadLetterTopic !== undefined) {
        await ensureTopic(
          this.deps.admin,
          { topic: this.config.deadLetterTopic, partitions: 1, compacted: false },
          signal,
        );
      }
      await this.recoverAndStart(signal);
      onStarted();
      await this.pollLoop(signal);
      await this.settle();
    } catch (error) {
      await this.settle().catch(() => {});
      throw error;
    } finally {
      await this.task
        .stop()
        .catch((error: unknown) =>
          this.deps.log.warn('task stop failed', { error: String(error) }),
        );
      await this.producer.disconnect().catch(() => {});
    }
  }

  private async recoverAndStart(signal: AbortSignal): Promise<void> {
    const sourcePartitions = this.task.sourcePartitions;
    const loaded = await this.deps.offsets.load(this.config.name, sourcePartitions, signal);
    const stored = new Map(sourcePartitions.map((sp) => [sp, loaded.get(sp) ?? emptyOffset]));
    const recovered = await recoverSourcePartitions(
      { ...this.deps, signal },
      this.config.name,
      stored,
    );
    this.progress = new SourceProgress(stored, recovered);
    const positions = new Map();
    for (const [sp, recovery] of recovered) {
      if (recovery.resumeAfter !== undefined) positions.set(sp, recovery.resumeAfter);
      if (recovery.recoveredCount > 0 || recovery.skip.size > 0) {
        this.deps.log.info('recovered records written after the stored position', {
          sourcePartition: sp,
          found: recovery.recoveredCount,
          skipping: recovery.skip.size,
          nextSeq: recovery.nextSeq.toString(),
        });
      }
    }
    await this.task.start(positions);
  }

  private async pollLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const records = await this.task.poll(signal);
      if (records.length > limits.sourceBatchRecordsMax) {
        throw new ConnectError(
          'RECORD_REJECTED',
          `a poll returned ${records.length} records (at most ${limits.sourceBatchRecordsMax})`,
        );
      }
      if (records.length > 0) await this.send(records, signal);
      await this.acknowledgeSettled(false);
      await this.flushIfDue();
      if (records.length === 0) await sleep(this.config.pollIntervalMs, signal);
    }
  }

  /** Prepares one poll's records and hands them to the producer (not waiting for acks). */
  private async send(records: readonly SourceRecord[], signal: AbortSignal): Promise<void> {
    const progress = this.progress!;
    const batch: BatchProgress = { sources: new Map() };
    const outgoing: Outgoing[] = [];
    for (const record of records) {
      batch.sources.set(record.sourcePartition, { position: record.position, nextSeq: 0n });
      if (progress.alreadyWritten(record.sourcePartition, record.position)) continue;
      const message = await this.prepare(record, signal);
      if (message === undefined) continue;
      const seq = progress.takeSeq(record.sourcePartition);
      outgoing.push({
        ...message,
        headers: {
          ...(message.headers as Record<string, string | Buffer>),
          [headerNames.source]: offsetKey(this.config.name, record.sourcePartition),
          [headerNames.sequence]: seq.toString(),
          [headerNames.position]: JSON.stringify(record.position),
        },
      });
    }
    for (const [sp, entry] of batch.sources) entry.nextSeq = progress.nextSeq(sp);
    await this.ensureMarks(outgoing, signal);
    while (this.inFlight.length >= limits.sourceInflightBatchesMax)
      await this.acknowledgeSettled(true);
    const sent =
      outgoing.length === 0
        ? Promise.resolve([])
        : this.producer!.sendBatch({ topicMessages: groupByTopic(outgoing) });
    const entry: InFlight = { sent, progress: batch, settled: false };
    // Observed in order by acknowledgeSettled; this only notes that it settled.
    sent.then(
      () => (entry.settled = true),
      () => (entry.settled = true),
    );
    this.inFlight.push(entry);
  }

  /** Transform and convert; a failed record is dead-lettered, dropped, or fails the task. */
  private async prepare(record: SourceRecord, signal: AbortSignal): Promise<Outgoing | undefined> {
    try {
      const transformed = applyTransforms(this.config.transforms, {
        topic: record.topic ?? this.config.topic!,
        key: record.key,
        value: record.value,
        headers: record.headers ?? {},
        timestamp: record.timestamp,
      });
      const key = this.config.keyConverter.toBytes(transformed.key);
      const value = this.config.valueConverter.toBytes(transformed.value);
      const partition = await this.partitionFor(
        transformed.topic,
        key,
        record.sourcePartition,
        signal,
      );
      return {
        topic: transformed.topic,
        key,
        value,
        partition,
        headers: transformed.headers,
        ...(transformed.timestamp === undefined ? {} : { timestamp: transformed.timestamp }),
      };
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      if (
        toleranceOf(
          this.config,
          error,
          `${record.sourcePartition} at ${JSON.stringify(record.position)}`,
        ) === 'drop'
      )
        return undefined;
      const topic = this.config.deadLetterTopic!;
      return {
        topic,
        key: bytesForDeadLetter(record.key),
        value: bytesForDeadLetter(record.value),
        partition: await this.partitionFor(topic, null, record.sourcePartition, signal),
        headers: deadLetterHeaders(error, { connector: this.config.name }),
      };
    }
  }

  /** Keyed records by key hash (as the producer would), others by source partition (keeps order). */
  private async partitionFor(
    topic: string,
    key: Buffer | null,
    sourcePartition: string,
    signal: AbortSignal,
  ): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (count === undefined) {
      count = await partitionCount(this.deps.admin, topic, signal);
      if (count === undefined) {
        if (topic === this.config.topic) {
          throw new ConnectError(
            'INVALID_CONFIG',
            `destination topic ${topic} does not exist; create it`,
            { retriable: true },
          );
        }
        throw new RecordError('TRANSFORM_FAILED', `topic ${topic} does not exist`);
      }
      this.partitionCounts.set(topic, count);
    }
    return partitionForKey(key ?? Buffer.from(sourcePartition, 'utf8'), count);
  }

  /** Before the first record goes to a topic partition, every stored offset gets its mark. */
  private async ensureMarks(outgoing: readonly Outgoing[], signal: AbortSignal): Promise<void> {
    const progress = this.progress!;
    for (const message of outgoing) {
      const partition = message.partition!;
      if (progress.hasMark(message.topic, partition)) continue;
      const ends = await this.deps.admin.fetchTopicOffsets(message.topic, { signal });
      const offset = ends.find((o) => o.partition === partition)?.high ?? 0n;
      for (const [sp, stored] of progress.addMark({ topic: message.topic, partition, offset })) {
        await this.deps.offsets.save(this.config.name, sp, stored);
      }
    }
  }

  /** Takes acknowledged batches off the front, in order (`wait`: wait for the first one). */
  private async acknowledgeSettled(wait: boolean): Promise<void> {
    while (this.inFlight.length > 0) {
      const first = this.inFlight[0]!;
      if (!wait && !first.settled) return;
      const results = await first.sent; // a failed batch fails the task
      this.inFlight.shift();
      this.progress!.acknowledge(
        first.progress,
        results.map((r) => ({
          topic: r.topicName,
          partition: r.partition,
          endOffset: r.lastOffset + 1n,
        })),
      );
      wait = false;
    }
  }

  private async flushIfDue(): Promise<void> {
    if (Date.now() - this.lastFlushMs < this.config.offsetFlushIntervalMs) return;
    await this.flush();
  }

  private async flush(): Promise<void> {
    this.lastFlushMs = Date.now();
    for (const [sp, offset] of this.progress?.due() ?? []) {
      await this.deps.offsets.save(this.config.name, sp, offset);
      this.progress!.stored(sp, offset);
    }
  }

  /** Waits for everything in flight; stores the positions of what was acknowledged in order. */
  private async settle(): Promise<void> {
    try {
      while (this.inFlight.length > 0) await this.acknowledgeSettled(true);
    } finally {
      await Promise.allSettled(this.inFlight.map((f) => f.sent));
      await this.flush();
    }
  }
}

function groupByTopic(messages: readonly Outgoing[]) {
  const byTopic = new Map<string, Message[]>();
  for (const { topic, ...message } of messages) {
    const list = byTopic.get(topic) ?? [];
    byTopic.set(topic, list);
    list.push(message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
