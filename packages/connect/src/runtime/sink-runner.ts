/**
 * Runs one sink task: a consumer in the connector's group (`connect-<name>`) reads the
 * topics; each fetched batch is converted, transformed and handed to the task's `put`.
 * A batch counts as consumed only once `put` resolved, and only consumed records are
 * committed, so offsets are committed only after the write succeeded: at least once, and
 * the sinks are idempotent by key. A retriable failure offers the same batch again after a
 * backoff; a record the write refuses is found by writing the batch one record at a time,
 * and dealt with by `errorTolerance` (dead-letter topic).
 */
import type {
  Admin,
  Client,
  Consumer,
  ConsumerMessage,
  EachBatchPayload,
  Producer,
} from '@tributary/client';
import type { ConnectorConfig } from '../config/connector-config.ts';
import type { SinkTask, TaskLogger } from '../connector.ts';
import { isRetriable, RecordError } from '../errors.ts';
import type { SinkRecord } from '../records.ts';
import { applyTransforms } from '../transforms/transform-chain.ts';
import { deadLetterHeaders, toleranceOf } from './dead-letters.ts';
import { ensureTopic } from './topics.ts';

export interface SinkRunnerDeps {
  readonly client: Client;
  readonly admin: Admin;
  readonly log: TaskLogger;
}

export function sinkGroupId(connector: string): string {
  return `connect-${connector}`;
}

export class SinkTaskRunner {
  private consumer: Consumer | undefined;
  private deadLetters: Producer | undefined;
  private failure: unknown;
  private readonly failed = new AbortController();

  constructor(
    private readonly deps: SinkRunnerDeps,
    private readonly config: ConnectorConfig,
    private readonly task: SinkTask,
  ) {}

  /** Runs until the signal fires (resolves) or the task fails (rejects). */
  async run(signal: AbortSignal, onStarted: () => void): Promise<void> {
    try {
      if (this.config.deadLetterTopic !== undefined) {
        await ensureTopic(
          this.deps.admin,
          { topic: this.config.deadLetterTopic, partitions: 1, compacted: false },
          signal,
        );
        this.deadLetters = this.deps.client.producer({ lingerMs: 0 });
        await this.deadLetters.connect({ signal });
      }
      await this.task.start();
      const consumer = this.deps.client.consumer({
        groupId: sinkGroupId(this.config.name),
        autoOffsetReset: 'earliest',
      });
      this.consumer = consumer;
      await consumer.connect({ signal });
      consumer.subscribe({ topics: [...this.config.topics], fromBeginning: true });
      await consumer.run({
        eachBatch: (payload) => this.handleBatch(payload),
        autoCommitIntervalMs: this.config.offsetFlushIntervalMs,
      });
      onStarted();
      await waitForEither(signal, this.failed.signal);
      if (this.failure !== undefined) throw this.failure;
    } finally {
      await this.consumer?.disconnect().catch(() => {});
      await this.task
        .stop()
        .catch((error: unknown) =>
          this.deps.log.warn('task stop failed', { error: String(error) }),
        );
      await this.deadLetters?.disconnect().catch(() => {});
    }
  }

  private async handleBatch({ batch, isRunning }: EachBatchPayload): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    try {
      const entries: Entry[] = [];
      for (const message of batch.messages) {
        const record = await this.toSinkRecord(message);
        if (record !== undefined) entries.push({ record, message });
      }
      if (entries.length > 0 && isRunning()) await this.write(entries);
    } catch (error) {
      if (!isRetriable(error)) {
        // Stop consuming: the batch is not consumed, so its offsets are not committed.
        this.failure = error;
        this.failed.abort();
      } else {
        this.deps.log.warn('sink write failed; the batch is offered again', {
          error: String(error),
        });
      }
      throw error;
    }
  }

  private async toSinkRecord(message: ConsumerMessage): Promise<SinkRecord | undefined> {
    try {
      const record = applyTransforms(this.config.transforms, {
        topic: message.topic,
        key: this.config.keyConverter.fromBytes(message.key),
        value: this.config.valueConverter.fromBytes(message.value),
        headers: flattenHeaders(message.headers),
        timestamp: message.timestamp < 0 ? undefined : message.timestamp,
      });
      return { ...record, partition: message.partition, offset: message.offset };
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      await this.deadLetter(message, error);
      return undefined;
    }
  }

  /** The whole batch at once; if the data is refused, one record at a time to find the bad ones. */
  private async write(entries: readonly Entry[]): Promise<void> {
    try {
      await this.task.put(entries.map((e) => e.record));
      return;
    } catch (error) {
      if (isRetriable(error)) throw error;
      if (entries.length === 1) return this.deadLetter(entries[0]!.message, error);
    }
    for (const { record, message } of entries) {
      try {
        await this.task.put([record]);
      } catch (error) {
        if (isRetriable(error)) throw error;
        await this.deadLetter(message, error);
      }
    }
  }

  /**
   * A record that failed: if not the data's fault the task fails; otherwise per
   * errorTolerance: fail, drop, or send its original bytes to the dead-letter topic.
   */
  private async deadLetter(message: ConsumerMessage, error: unknown): Promise<void> {
    if (!(error instanceof RecordError)) throw error;
    const where = `${message.topic}/${message.partition}@${message.offset}`;
    if (toleranceOf(this.config, error, where) === 'drop') {
      this.deps.log.warn('dropped a record that failed', { where, error: String(error) });
      return;
    }
    await this.deadLetters!.send({
      topic: this.config.deadLetterTopic!,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...flattenHeaders(message.headers),
            ...deadLetterHeaders(error, {
              connector: this.config.name,
              topic: message.topic,
              partition: message.partition,
              offset: message.offset,
            }),
          },
        },
      ],
    });
  }
}

interface Entry {
  readonly record: SinkRecord;
  readonly message: ConsumerMessage;
}

function flattenHeaders(headers: ConsumerMessage['headers']): Record<string, Buffer> {
  const flat: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) flat[key] = Buffer.from(first);
  }
  return flat;
}

function waitForEither(a: AbortSignal, b: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (a.aborted || b.aborted) return resolve();
    a.addEventListener('abort', () => resolve(), { once: true });
    b.addEventListener('abort', () => resolve(), { once: true });
  });
}
