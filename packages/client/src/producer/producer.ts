/**
 * The Producer: KafkaJS's `send`/`sendBatch`, batching underneath (linger, batch size, a
 * bound on buffered bytes), idempotent by default. See docs/client.md for the guarantees.
 */
import {
  type Acks,
  acksLevels,
  CompressionType,
  ErrorCode,
  FramePool,
  initChecksums,
  limits,
} from '@tributary/protocol';
import { abortable, type CallOptions, CallScope } from '../abort.ts';
import { CallOrder } from '../call-order.ts';
import {
  ClientClosedError,
  IllegalStateError,
  InvalidArgumentError,
  protocolError,
} from '../errors.ts';
import type { ClientEmitter } from '../instrumentation.ts';
import { batchBytesMax } from '../limits.ts';
import type { Logger } from '../logger.ts';
import type { Cluster } from '../net/cluster.ts';
import { RecordAccumulator } from './accumulator.ts';
import type { BatchSettings } from './batch.ts';
import { BufferPool } from './buffer-pool.ts';
import { IdentityManager } from './identity.ts';
import { type Message, type NormalizedMessage, normalizeMessage } from './message.ts';
import {
  createPartitioner,
  type Partitioner,
  type PartitionerArgs,
  type PartitionerOption,
} from './partitioners.ts';
import { type RecordMetadata, SendTracker } from './send-tracker.ts';
import { Sender } from './sender.ts';

export type CompressionOption = 'none' | 'gzip';

export interface ProducerOptions {
  /** `key` (default: hash of the key, sticky without one), `sticky`, `roundRobin`, or a function. */
  readonly partitioner?: PartitionerOption;
  /** Producer id, epoch and sequence numbers, so retries never duplicate (default true). */
  readonly idempotent?: boolean;
  /** Default acks for `send` (default `quorum`). */
  readonly acks?: Acks;
  readonly compression?: CompressionOption;
  /** How long a batch waits for more records before it is sent (default 5 ms). */
  readonly lingerMs?: number;
  /** Size at which a batch is sent without waiting (default 64 KiB). */
  readonly batchBytes?: number;
  /** Bound on bytes buffered and in flight; `send` waits for room (default 32 MiB). */
  readonly bufferBytesMax?: number;
  /** Produce requests in flight per broker (default 5; at most 5 per partition when idempotent). */
  readonly maxInFlightPerBroker?: number;
  /** How long a Produce request may take (default: the client's requestTimeoutMs). */
  readonly requestTimeoutMs?: number;
  /** Bound on a batch's life, retries included, and the default timeout of `send` (120 s). */
  readonly deliveryTimeoutMs?: number;
  /** Bound on one Produce request's batches (default 8 MiB). */
  readonly produceRequestBytesMax?: number;
}

export interface SendOptions extends CallOptions {
  readonly acks?: Acks;
  readonly compression?: CompressionOption;
}

export interface ProducerRecord extends SendOptions {
  readonly topic: string;
  readonly messages: readonly Message[];
}

export interface ProducerBatchRecord extends SendOptions {
  readonly topicMessages: readonly {
    readonly topic: string;
    readonly messages: readonly Message[];
  }[];
}

export const producerDefaults = {
  lingerMs: 5,
  batchBytes: 64 * 1024,
  bufferBytesMax: 32 * 1024 * 1024,
  maxInFlightPerBroker: 5,
  deliveryTimeoutMs: 120_000,
  produceRequestBytesMax: 8 * 1024 * 1024,
} as const;

type State = 'new' | 'connecting' | 'connected' | 'closing' | 'closed';

export class Producer {
  private readonly cluster: Cluster;
  private readonly partitioner: Partitioner;
  /**
   * One args object for every record (it was an allocation a record): the built-in
   * partitioners keep nothing of it, and a custom function gets a copy of its own.
   */
  private readonly partitionerArgs: { -readonly [K in keyof PartitionerArgs]: PartitionerArgs[K] } =
    { topic: '', partitionCount: 0, key: null, value: null };
  private readonly accumulator: RecordAccumulator;
  private readonly pool: BufferPool;
  private readonly sender: Sender;
  private readonly identities: IdentityManager | undefined;
  private readonly settings: Required<Omit<ProducerOptions, 'partitioner'>>;
  private state: State = 'new';
  private connecting: Promise<void> | undefined;
  /** Sends still handing records to batches: `disconnect` lets them finish first. */
  private readonly appending = new Set<Promise<unknown>>();
  /**
   * Hand-overs run one at a time, in call order, so that records of two sends to one
   * partition are appended (and so written) in the order `send` was called, even when the
   * first waits for metadata or buffer memory and the second would not have to.
   */
  private readonly handOvers = new CallOrder();

  constructor(cluster: Cluster, options: ProducerOptions, logger: Logger, emitter: ClientEmitter) {
    this.cluster = cluster;
    this.settings = resolveOptions(options, cluster.options.requestTimeoutMs);
    this.partitioner = createPartitioner(options.partitioner);
    this.pool = new BufferPool(this.settings.bufferBytesMax);
    this.accumulator = new RecordAccumulator({
      batchBytes: this.settings.batchBytes,
      lingerMs: this.settings.lingerMs,
      deliveryTimeoutMs: this.settings.deliveryTimeoutMs,
      onBatchDone: (batch) => this.pool.release(batch.sizeBytes),
      batchMemory: batchMemoryPool(this.settings),
    });
    this.identities = this.settings.idempotent ? new IdentityManager(cluster) : undefined;
    this.sender = new Sender(
      cluster,
      this.accumulator,
      this.identities,
      this.settings,
      logger,
      emitter,
    );
  }

  get isIdempotent(): boolean {
    return this.settings.idempotent;
  }

  /** The producer id and epoch, once connected (idempotent producers). */
  get identity() {
    return this.identities?.identity;
  }

  /** Bootstraps metadata and, when idempotent, obtains a producer id. */
  connect(options: CallOptions = {}): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'closing' || this.state === 'closed') {
      return Promise.reject(new ClientClosedError('producer closed'));
    }
    this.connecting ??= this.doConnect(options).then(
      () => {
        this.state = 'connected';
      },
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    this.state = 'connecting';
    return this.connecting;
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const { topic, messages, ...options } = record;
    return this.sendBatch({ ...options, topicMessages: [{ topic, messages }] });
  }

  /** Sends records to several topics; resolves when every record is acknowledged. */
  async sendBatch(batch: ProducerBatchRecord): Promise<RecordMetadata[]> {
    this.throwUnlessConnected();
    const settings = this.batchSettings(batch);
    // Not tied to the cluster's close: closing fails pending records through their batches
    // (ClientClosedError), after a flush has had its chance to deliver them.
    const scope = new CallScope('send', batch, this.settings.deliveryTimeoutMs);
    try {
      const appending = this.handOvers.run(scope, () => this.handOver(batch, settings, scope));
      this.appending.add(appending);
      let tracker: SendTracker;
      try {
        tracker = await appending;
      } finally {
        this.appending.delete(appending);
      }
      this.sender.wake();
      return await abortable(tracker.promise, scope);
    } finally {
      scope.dispose();
    }
  }

  /** Validates, learns the topics' partitions, and hands every record to a batch. */
  private async handOver(
    batch: ProducerBatchRecord,
    settings: BatchSettings,
    scope: CallScope,
  ): Promise<SendTracker> {
    const normalized = this.normalize(batch.topicMessages);
    const topics = [...new Set(batch.topicMessages.map((entry) => entry.topic))];
    await this.cluster.ensureTopics(topics, scope);
    const tracker = new SendTracker();
    for (const [index, entry] of batch.topicMessages.entries()) {
      await this.appendAll(entry.topic, normalized[index] ?? [], settings, tracker, scope);
    }
    tracker.seal();
    return tracker;
  }

  /** Sends every buffered record now and waits until all are acknowledged or failed. */
  async flush(options: CallOptions = {}): Promise<void> {
    this.throwUnlessConnected();
    const scope = this.cluster.scope('flush', options, this.settings.deliveryTimeoutMs);
    try {
      await this.sender.flush(scope.signal);
    } finally {
      scope.dispose();
    }
  }

  /**
   * Flushes (bounded by the options' timeout, default the delivery timeout), then fails
   * whatever is left with ClientClosedError and closes the connections.
   */
  async disconnect(options: CallOptions = {}): Promise<void> {
    if (this.state === 'closed' || this.state === 'closing') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closing';
    if (wasConnected) {
      const scope = new CallScope('disconnect', options, this.settings.deliveryTimeoutMs);
      this.sender.beginFlush();
      await abortable(Promise.allSettled([...this.appending]), scope.signal).catch(() => {});
      await this.sender.flush(scope.signal).catch(() => {});
      this.sender.endFlush();
      scope.dispose();
    }
    const error = new ClientClosedError('producer closed');
    this.sender.close(error);
    this.pool.close(error);
    await this.cluster.close();
    this.state = 'closed';
  }

  private async doConnect(options: CallOptions): Promise<void> {
    const scope = this.cluster.scope('connect', options, this.cluster.options.requestTimeoutMs);
    try {
      await initChecksums();
      await this.cluster.connect(scope);
      if (this.identities !== undefined) {
        this.accumulator.identity = await this.identities.init(scope);
      }
    } finally {
      scope.dispose();
    }
  }

  private throwUnlessConnected(): void {
    if (this.state === 'connected') return;
    if (this.state === 'closing' || this.state === 'closed') {
      throw new ClientClosedError('producer closed');
    }
    throw new IllegalStateError('producer not connected: call connect() first');
  }

  private batchSettings(options: SendOptions): BatchSettings {
    const acks = options.acks ?? this.settings.acks;
    if (!acksLevels.includes(acks)) {
      throw new InvalidArgumentError(`acks must be one of ${acksLevels.join(', ')}`);
    }
    return { acks, compression: compressionType(options.compression ?? this.settings.compression) };
  }

  private normalize(topicMessages: ProducerBatchRecord['topicMessages']): NormalizedMessage[][] {
    if (!Array.isArray(topicMessages))
      throw new InvalidArgumentError('topicMessages must be an array');
    const nowMs = Date.now();
    return topicMessages.map((entry) => {
      if (typeof entry.topic !== 'string' || !limits.topicNamePattern.test(entry.topic)) {
        throw protocolError(
          ErrorCode.InvalidTopic.code,
          `invalid topic name ${String(entry.topic)}`,
        );
      }
      if (!Array.isArray(entry.messages))
        throw new InvalidArgumentError('messages must be an array');
      return (entry.messages as readonly Message[]).map((message: Message) => {
        const normalized = normalizeMessage(message, nowMs);
        const max = Math.min(limits.batchBytesMax, this.settings.bufferBytesMax);
        if (normalized.sizeBytes > max) {
          throw protocolError(
            ErrorCode.MessageTooLarge.code,
            `record of about ${normalized.sizeBytes} bytes exceeds the ${max}-byte limit`,
          );
        }
        return normalized;
      });
    });
  }

  private async appendAll(
    topic: string,
    messages: readonly NormalizedMessage[],
    settings: BatchSettings,
    tracker: SendTracker,
    scope: CallScope,
  ): Promise<void> {
    const partitionCount = this.cluster.metadata.partitionCount(topic) ?? 0;
    for (const message of messages) {
      const partition = this.choosePartition(topic, partitionCount, message, settings);
      if (!this.pool.tryReserve(message.sizeBytes)) {
        this.sender.wake(); // a full buffer drains faster when batches go out
        await this.pool.reserve(message.sizeBytes, scope);
      }
      const full = this.accumulator.append(
        topic,
        partition,
        message.record,
        message.sizeBytes,
        settings,
        tracker,
        Date.now(),
      );
      tracker.add(1);
      if (full || this.settings.lingerMs === 0) this.sender.wake();
    }
    this.sender.wake();
  }

  private choosePartition(
    topic: string,
    partitionCount: number,
    message: NormalizedMessage,
    settings: BatchSettings,
  ): number {
    if (message.partition !== undefined) {
      if (message.partition >= partitionCount) {
        throw protocolError(
          ErrorCode.UnknownTopicOrPartition.code,
          `${topic} has no partition ${message.partition} (it has ${partitionCount})`,
        );
      }
      return message.partition;
    }
    const args = this.partitionerArgs;
    args.topic = topic;
    args.partitionCount = partitionCount;
    args.key = message.record.key;
    args.value = message.record.value;
    let partition = this.partitioner.partition(args);
    if (
      this.partitioner.onNewBatch !== undefined &&
      this.accumulator.wouldOpenBatch(topic, partition, message.sizeBytes, settings)
    ) {
      this.partitioner.onNewBatch(topic, partition);
      partition = this.partitioner.partition(args);
    }
    return partition;
  }
}

/**
 * Reused memory for encoded batches: as many buffers as batches of `batchBytes` fit in the
 * producer's buffer bound, so the pool never holds more than that bound (plus the slack
 * of one encoding's size estimate per buffer).
 */
function batchMemoryPool(settings: { batchBytes: number; bufferBytesMax: number }): FramePool {
  const batchesMax = Math.ceil(settings.bufferBytesMax / settings.batchBytes);
  return new FramePool({
    bufferBytesMax: Math.min(settings.batchBytes * 2, batchBytesMax),
    buffersMax: Math.min(batchesMax, 256),
  });
}

function compressionType(option: CompressionOption): CompressionType {
  if (option === 'none') return CompressionType.none;
  if (option === 'gzip') return CompressionType.gzip;
  throw new InvalidArgumentError(`compression must be 'none' or 'gzip', not ${String(option)}`);
}

function resolveOptions(options: ProducerOptions, requestTimeoutMs: number) {
  const settings = {
    idempotent: options.idempotent ?? true,
    acks: options.acks ?? ('quorum' as Acks),
    compression: options.compression ?? ('none' as CompressionOption),
    lingerMs: options.lingerMs ?? producerDefaults.lingerMs,
    batchBytes: options.batchBytes ?? producerDefaults.batchBytes,
    bufferBytesMax: options.bufferBytesMax ?? producerDefaults.bufferBytesMax,
    maxInFlightPerBroker: options.maxInFlightPerBroker ?? producerDefaults.maxInFlightPerBroker,
    requestTimeoutMs: options.requestTimeoutMs ?? requestTimeoutMs,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? producerDefaults.deliveryTimeoutMs,
    produceRequestBytesMax:
      options.produceRequestBytesMax ?? producerDefaults.produceRequestBytesMax,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
      throw new InvalidArgumentError(`producer option ${name} must be a non-negative integer`);
    }
  }
  if (settings.batchBytes < 1 || settings.bufferBytesMax < settings.batchBytes) {
    throw new InvalidArgumentError('need 1 <= batchBytes <= bufferBytesMax');
  }
  if (settings.maxInFlightPerBroker < 1)
    throw new InvalidArgumentError('maxInFlightPerBroker must be >= 1');
  compressionType(settings.compression);
  return settings;
}
