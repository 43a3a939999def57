/**
 * `Streams`: runs a topology against a cluster, like Kafka's `KafkaStreams`. Instances of an
 * application share its tasks through a consumer group named by `applicationId`; each
 * instance restores the state of the tasks it is given from their changelogs, processes
 * their records, writes outputs, and commits: outputs acknowledged, then changelog records
 * acknowledged, then input offsets committed. See docs/streams.md for the guarantees.
 */
import { prepareCommit } from '../engine/commit.ts';
import type { DeserializationErrorPolicy } from '../engine/task.ts';
import { resolveTopic } from '../engine/task.ts';
import type { Topology } from '../engine/topology.ts';
import { IllegalStateError, InvalidArgumentError, StreamsError } from '../errors.ts';
import {
  commitIntervalMsDefault,
  fetchBytesPerPartitionMax,
  prefetchBytesMax,
  processBatchRecordsMax,
  restoreRetryMsMax,
} from '../limits.ts';
import type { Position } from '../state/changelog.ts';
import type { ActiveTask } from './active-task.ts';
import { ChangelogPartitionReader } from './changelog-reader.ts';
import type {
  AdminPort,
  ClientPort,
  ConsumedMessage,
  ConsumerPort,
  PortMessage,
  PortTopicPartition,
  ProducerPort,
} from './client-port.ts';
import { fromConsumed, toProduced } from './headers.ts';
import {
  checkOutputTopics,
  ensureInternalTopics,
  internalTopicsOf,
  sourcePartitionCounts,
} from './internal-topics.ts';
import { Mutex } from './mutex.ts';
import { OutputSender, sendLingerMs } from './output-sender.ts';
import { type KeyValueQuery, keyValueQuery, type WindowQuery, windowQuery } from './queries.ts';
import { retryRetriable } from './retry.ts';
import { StateDirectory } from './state-directory.ts';
import { taskAssignor } from './task-assignor.ts';
import { TaskManager } from './task-manager.ts';

export type StreamsState =
  | 'created'
  | 'starting'
  | 'running'
  | 'rebalancing'
  | 'pending-shutdown'
  | 'not-running'
  | 'error';

export interface StreamsLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface StreamsOptions {
  /** Names the consumer group, the internal topics and the state directory. */
  readonly applicationId: string;
  /** The application's client: `new Client({ clientId, brokers })` from @tributary/client. */
  readonly client: ClientPort;
  /** Where stores keep local copies (restarts read only the changelog's tail). Default: none. */
  readonly stateDir?: string;
  readonly commitIntervalMs?: number;
  /** Replication factor of internal topics (default 3, or the cluster's size if smaller). */
  readonly replicationFactor?: number;
  readonly deserializationErrors?: DeserializationErrorPolicy;
  /** Static membership: a restart with the same id within the session timeout keeps its tasks. */
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** How often wall-clock punctuations are checked (default 100 ms). */
  readonly punctuationIntervalMs?: number;
  /**
   * How long `start()` keeps trying to connect while the cluster cannot be reached or
   * answers too slowly (retriable errors), before it fails (default 120 000 ms).
   */
  readonly startTimeoutMs?: number;
  readonly logger?: StreamsLogger;
}

const silentLogger: StreamsLogger = { info() {}, warn() {}, error() {} };
const startTimeoutMsDefault = 120_000;
const connectBackoffMsInitial = 100;
const connectBackoffMsMax = 2_000;
const offsetCommitAttemptsMax = 10;
/** Group errors meaning "you no longer own what you are committing". */
const fencingCodes = new Set([
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'REBALANCE_IN_PROGRESS',
  'FENCED_INSTANCE_ID',
]);

export class Streams {
  private stateValue: StreamsState = 'created';
  private readonly listeners = new Set<(state: StreamsState, previous: StreamsState) => void>();
  private readonly mutex = new Mutex();
  private readonly sender: OutputSender;
  private readonly manager: TaskManager;
  private readonly stateDirectory: StateDirectory | undefined;
  private readonly logger: StreamsLogger;
  private producer: ProducerPort | undefined;
  private consumer: ConsumerPort | undefined;
  private admin: AdminPort | undefined;
  private timers: ReturnType<typeof setInterval>[] = [];
  private failure: unknown;
  /** Until when `start()` retries connecting (see `connectRetrying`). */
  private startDeadline = 0;
  /** Lost-partition notices still to come for tasks already dropped (see `dropStaleTasks`). */
  private lateLossesExpected = 0;
  /** Counters for monitoring and tests. */
  readonly metrics = { recordsProcessed: 0, commits: 0, restoredRecords: 0, undoneKeys: 0 };

  constructor(
    readonly topology: Topology,
    private readonly options: StreamsOptions,
  ) {
    if (
      !options ||
      typeof options.applicationId !== 'string' ||
      !/^[a-zA-Z0-9._-]{1,200}$/.test(options.applicationId)
    ) {
      throw new InvalidArgumentError('applicationId must be 1–200 characters of [a-zA-Z0-9._-]');
    }
    if (!options.client)
      throw new InvalidArgumentError('Streams needs a client: new Client({ brokers })');
    const startTimeoutMs = options.startTimeoutMs;
    if (
      startTimeoutMs !== undefined &&
      !(Number.isSafeInteger(startTimeoutMs) && startTimeoutMs > 0)
    )
      throw new InvalidArgumentError(
        `startTimeoutMs must be a positive integer, got ${startTimeoutMs}`,
      );
    this.logger = options.logger ?? silentLogger;
    this.stateDirectory =
      options.stateDir === undefined
        ? undefined
        : new StateDirectory(options.stateDir, options.applicationId);
    this.sender = new OutputSender(() => this.requireProducer());
    this.manager = new TaskManager({
      topology,
      applicationId: options.applicationId,
      sender: this.sender,
      stateDirectory: this.stateDirectory,
      deserializationErrors: options.deserializationErrors ?? 'fail',
      onSkipped: (reason) => this.logger.warn(reason),
    });
  }

  get state(): StreamsState {
    return this.stateValue;
  }

  /** The error that stopped the application, in state `error`. */
  get error(): unknown {
    return this.failure;
  }

  onStateChange(listener: (state: StreamsState, previous: StreamsState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(next: StreamsState): void {
    const previous = this.stateValue;
    if (previous === next) return;
    this.stateValue = next;
    for (const listener of this.listeners) listener(next, previous);
  }

  private requireProducer(): ProducerPort {
    if (!this.producer) throw new IllegalStateError('streams not started');
    return this.producer;
  }

  /**
   * Creates internal topics and starts joining the group; resolves then, in state `running`.
   * Tasks come with the group's next assignment, possibly seconds later (`localTasks()`).
   */
  async start(): Promise<void> {
    if (this.stateValue !== 'created')
      throw new IllegalStateError(`cannot start in state ${this.stateValue}`);
    this.setState('starting');
    try {
      this.stateDirectory?.lock();
      this.startDeadline = Date.now() + (this.options.startTimeoutMs ?? startTimeoutMsDefault);
      await this.connectClients();
      await this.prepareTopics();
      await this.startConsumer();
      this.startTimers();
      this.setState('running');
    } catch (error) {
      await this.shutdown().catch(() => undefined);
      this.failure = error;
      this.setState('error');
      throw error;
    }
  }

  private async connectClients(): Promise<void> {
    const { client } = this.options;
    const admin = client.admin();
    this.admin = admin;
    await this.connectRetrying('admin', () => admin.connect());
    const producer = client.producer({ idempotent: true });
    this.producer = producer;
    await this.connectRetrying('producer', () => producer.connect());
  }

  /**
   * A cluster that is starting, electing, or on a loaded machine may not answer the first
   * connect in time; like Kafka's clients, keep trying (retriable errors only) until the
   * start deadline, rather than failing the application at its first attempt.
   */
  private connectRetrying(what: string, connect: () => Promise<void>): Promise<void> {
    return retryRetriable(connect, {
      deadline: this.startDeadline,
      backoffMsInitial: connectBackoffMsInitial,
      backoffMsMax: connectBackoffMsMax,
      keepTrying: () => this.stateValue === 'starting',
      onRetry: (attempt, error) =>
        this.logger.warn(`could not connect the ${what}; trying again`, {
          attempt,
          error: String(error),
        }),
    });
  }

  private async prepareTopics(): Promise<void> {
    const admin = this.admin as AdminPort;
    const counts = await sourcePartitionCounts(admin, this.topology, this.options.applicationId);
    const topics = internalTopicsOf(this.topology, this.options.applicationId, counts);
    await checkOutputTopics(admin, this.topology);
    await ensureInternalTopics(admin, topics, await this.replicationFactor());
  }

  private async replicationFactor(): Promise<number> {
    if (this.options.replicationFactor !== undefined) return this.options.replicationFactor;
    const cluster = await this.admin?.describeCluster?.().catch(() => undefined);
    return Math.max(1, Math.min(3, cluster?.brokers.length ?? 1));
  }

  private async startConsumer(): Promise<void> {
    const o = this.options;
    const consumer = o.client.consumer({
      groupId: o.applicationId,
      ...(o.groupInstanceId === undefined ? {} : { groupInstanceId: o.groupInstanceId }),
      ...(o.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: o.sessionTimeoutMs }),
      ...(o.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: o.heartbeatIntervalMs }),
      ...(o.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeoutMs: o.rebalanceTimeoutMs }),
      partitionAssigners: [taskAssignor(this.topology, o.applicationId)],
      autoOffsetReset: 'earliest',
      // A small prefetch in small per-partition pieces: otherwise the backlog of one input
      // (a million lines) fills the buffer before any record of the repartition topic fed
      // from it, and the downstream task starts only once the whole backlog is processed.
      prefetchBytesMax,
      maxBytesPerPartition: fetchBytesPerPartitionMax,
      rebalanceListener: {
        onPartitionsAssigned: (partitions) => this.onAssigned(partitions),
        onPartitionsRevoked: (partitions) => this.onRevoked(partitions),
        onPartitionsLost: (partitions) => this.onLost(partitions),
      },
    });
    this.consumer = consumer;
    await this.connectRetrying('consumer', () => consumer.connect());
    const topics = this.topology.sourceTopics().map((t) => resolveTopic(o.applicationId, t));
    consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => this.processBatch(batch.messages),
    });
  }

  private startTimers(): void {
    const commitEvery = this.options.commitIntervalMs ?? commitIntervalMsDefault;
    this.timers.push(setInterval(() => void this.commitSafely(), commitEvery));
    this.timers.push(
      setInterval(() => void this.punctuate(), this.options.punctuationIntervalMs ?? 100),
    );
    // Collected outputs leave at the latest after the sender's linger, even when input stops.
    this.timers.push(setInterval(() => this.sender.maybeSend(), sendLingerMs));
  }

  /**
   * Processes a consumed batch in slices of `processBatchRecordsMax` records, giving the
   * event loop back between slices: a fetch can hold tens of thousands of records, and
   * processing them in one go would starve heartbeats (the group then expels this member)
   * and timers. The mutex is released between slices, so a commit or a rebalance may come
   * in between; records of a task lost or suspended meanwhile are skipped (they are fetched
   * again from the committed offset by whoever runs the task next).
   */
  private async processBatch(messages: readonly ConsumedMessage[]): Promise<void> {
    for (let from = 0; from < messages.length; from += processBatchRecordsMax) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      const to = Math.min(messages.length, from + processBatchRecordsMax);
      await this.mutex
        .run(async () => {
          if (this.failure !== undefined) return;
          this.processSlice(messages, from, to);
          this.sender.maybeSend();
          await this.sender.backpressure();
        })
        .catch((error: unknown) => this.fail(error));
      if (this.failure !== undefined) return;
    }
  }

  private processSlice(messages: readonly ConsumedMessage[], from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const m = messages[i] as ConsumedMessage;
      const active = this.manager.taskFor(m.topic, m.partition);
      if (!active) continue;
      active.task.process({
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        key: m.key,
        value: m.value,
        timestamp: m.timestamp,
        headers: fromConsumed(m.headers),
      });
      active.dirty = true;
      this.metrics.recordsProcessed += 1;
    }
  }

  private punctuate(): Promise<void> {
    return this.mutex
      .run(() => {
        if (this.failure !== undefined) return;
        const now = Date.now();
        for (const active of this.manager.tasks) {
          if (active.task.punctuateWallClock(now) > 0) active.dirty = true;
        }
        this.sender.sendPending();
      })
      .catch((error: unknown) => this.fail(error));
  }

  private commitSafely(): Promise<void> {
    return this.mutex
      .run(() => this.commitTasks(this.manager.tasks))
      .catch((error: unknown) => this.fail(error));
  }

  /**
   * Commits tasks: outputs acknowledged, then changelog records acknowledged, then offsets
   * committed (retried, and never followed by more processing until it succeeded), then
   * local files. Caller holds the mutex.
   */
  private async commitTasks(tasks: readonly ActiveTask[]): Promise<void> {
    if (this.failure !== undefined) return;
    const dirty = tasks.filter((t) => t.dirty);
    if (dirty.length === 0) return;
    await this.sender.flush();
    const prepared = dirty.map((active) => ({ active, commit: prepareCommit(active.task) }));
    const topicMessages = new Map<string, PortMessage[]>();
    for (const { active, commit } of prepared) {
      for (const [topic, records] of commit.changelog) {
        const messages = topicMessages.get(topic) ?? [];
        for (const r of records) {
          messages.push({
            key: Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            partition: active.task.partition,
            headers: toProduced(r.headers),
            timestamp: Math.max(0, active.task.streamTimeMs()),
          });
        }
        topicMessages.set(topic, messages);
      }
    }
    const metadata =
      topicMessages.size === 0
        ? []
        : await this.requireProducer().sendBatch({
            topicMessages: [...topicMessages].map(([topic, messages]) => ({ topic, messages })),
          });
    const offsets = prepared.flatMap(({ active, commit }) =>
      [...commit.position].map(([topic, offset]) => ({
        topic,
        partition: active.task.partition,
        offset: BigInt(offset),
      })),
    );
    if (!(await this.commitOffsets(offsets))) {
      // The group moved on (a rebalance began): these tasks may belong to another member
      // now. Drop them without committing; whoever runs them next restores them from the
      // changelog, undoing this unfinished commit.
      this.logger.warn('offset commit refused by a rebalance; tasks dropped for restore', {
        tasks: dirty.map((t) => t.id),
      });
      this.manager.drop(dirty.map((t) => t.id));
      return;
    }
    for (const { active, commit } of prepared) {
      active.persist(commit.changelog, metadata);
      active.dirty = false;
    }
    this.metrics.commits += 1;
  }

  /**
   * Commits offsets, retrying retriable errors. Returns false when the group refused the
   * commit because membership changed (stale generation, unknown member, rebalance in
   * progress, fenced instance); throws on any other failure.
   */
  private async commitOffsets(
    offsets: { topic: string; partition: number; offset: bigint }[],
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await (this.consumer as ConsumerPort).commitOffsets(offsets);
        return true;
      } catch (error) {
        if (fencingCodes.has(String((error as { code?: unknown }).code))) return false;
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || attempt >= offsetCommitAttemptsMax) {
          throw new StreamsError(
            'COMMIT_FAILED',
            'offset commit failed; the tasks will be restored from their changelogs',
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  }

  private onAssigned(partitions: PortTopicPartition[]): Promise<void> {
    return this.mutex
      .run(async () => {
        if (this.stateValue === 'running') this.setState('rebalancing');
        this.dropStaleTasks();
        const reports = await this.restoreAssigned(partitions);
        for (const r of reports) {
          this.metrics.restoredRecords += r.recordsRead;
          this.metrics.undoneKeys += r.undone;
        }
        this.logger.info('tasks assigned', { tasks: this.manager.tasks.map((t) => t.id), reports });
        if (this.stateValue === 'rebalancing') this.setState('running');
      })
      .catch((error: unknown) => this.fail(error));
  }

  /**
   * Runs the assigned tasks, retrying a restore that failed on a retriable error (a
   * changelog partition without leader for a while on a loaded cluster) rather than
   * stopping the application; heartbeats go on meanwhile.
   */
  private async restoreAssigned(partitions: PortTopicPartition[]) {
    const deadline = Date.now() + restoreRetryMsMax;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.manager.assign(
          partitions,
          (topics, partition) => this.committedOffsets(topics, partition),
          (topic, partition, from) =>
            new ChangelogPartitionReader(this.options.client, topic, partition, from),
        );
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() >= deadline || this.failure !== undefined) throw error;
        this.logger.warn('restore failed; retrying', { attempt, error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt)));
      }
    }
  }

  private onRevoked(partitions: PortTopicPartition[]): Promise<void> {
    return this.mutex
      .run(async () => {
        await this.commitTasks(this.manager.tasks);
        this.manager.suspend(partitions);
      })
      .catch((error: unknown) => this.fail(error));
  }

  private onLost(partitions: PortTopicPartition[]): Promise<void> {
    // Outputs already collected are still sent: other tasks' offsets will move past them,
    // and those of the lost tasks are harmless copies (their offsets are not committed).
    return this.mutex.run(() => {
      if (this.lateLossesExpected > 0) {
        // The loss of tasks `dropStaleTasks` already dropped: the tasks running now belong
        // to the newer assignment.
        this.lateLossesExpected -= 1;
        this.logger.warn('late partitions-lost notice ignored', { partitions: partitions.length });
        return;
      }
      this.manager.lose(partitions);
    });
  }

  /**
   * The protocol is eager: every task is suspended (revoked) or closed (lost) before a new
   * assignment, so tasks still active at an assignment were lost without notice yet. The
   * client may deliver a loss detected by its heartbeat after the assignment that follows
   * it (the rejoin does not wait for the loss handler). Such tasks are dropped without a
   * commit and restored like new ones (the consumer resumes from the committed offsets),
   * and the late notice is then ignored rather than allowed to close the new tasks.
   */
  private dropStaleTasks(): void {
    const stale = this.manager.tasks.map((t) => t.id);
    if (stale.length === 0) return;
    this.logger.warn('tasks still active at a new assignment: dropped for restore', {
      tasks: stale,
    });
    this.manager.drop(stale);
    this.lateLossesExpected += 1;
  }

  /** The group's committed offsets of `topics` at `partition` (a task's position to resume from). */
  private async committedOffsets(topics: readonly string[], partition: number): Promise<Position> {
    const admin = this.admin as AdminPort;
    const groups = await admin.fetchOffsets({ groupId: this.options.applicationId, topics });
    const committed = new Map<string, number>();
    for (const group of groups) {
      const entry = group.partitions.find((p) => p.partition === partition);
      if (entry && entry.offset >= 0n) committed.set(group.topic, Number(entry.offset));
    }
    return committed;
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined || this.stateValue === 'not-running') return;
    this.failure = error;
    this.logger.error('streams failed', { error: String(error) });
    this.setState('error');
    void this.shutdown();
  }

  /** A read-only view of a key-value store across this instance's tasks. */
  keyValueStore<K, V>(name: string): KeyValueQuery<K, V> {
    return keyValueQuery<K, V>(name, () => this.manager.tasks.map((t) => t.task));
  }

  /** A read-only view of a window or session store across this instance's tasks. */
  windowStore<K, V>(name: string): WindowQuery<K, V> {
    return windowQuery<K, V>(name, () => this.manager.tasks.map((t) => t.task));
  }

  /** Ids of the tasks this instance runs now. */
  localTasks(): string[] {
    return this.manager.tasks.map((t) => t.id);
  }

  /** Commits, leaves the group and stops. */
  async close(): Promise<void> {
    if (this.stateValue === 'not-running') return;
    const failed = this.stateValue === 'error';
    this.setState('pending-shutdown');
    if (!failed)
      await this.mutex
        .run(() => this.commitTasks(this.manager.tasks))
        .catch((error: unknown) =>
          this.logger.warn('final commit failed', { error: String(error) }),
        );
    await this.shutdown();
    this.setState(failed ? 'error' : 'not-running');
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    await this.mutex.run(() => this.manager.closeAll());
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
    this.stateDirectory?.unlock();
  }
}
