/**
 * TopologyTestDriver: runs a topology in-process, without brokers, for the application's
 * unit tests (as Kafka's TopologyTestDriver does). Every sub-topology runs as one task of
 * partition 0; records piped into an input topic are processed at once, records written to
 * repartition topics are processed by their readers before `pipeInput` returns, and after
 * each piped record the driver commits: store changes go to in-memory changelog topics,
 * stamped exactly as the runtime stamps them. It runs the same `Task` code the runtime does.
 */

import { prepareCommit } from '../engine/commit.ts';
import type { InputRecord, OutputRecord, StreamRecord } from '../engine/record.ts';
import { type DeserializationErrorPolicy, resolveTopic, Task } from '../engine/task.ts';
import type { Topology } from '../engine/topology.ts';
import { IllegalStateError, InvalidArgumentError } from '../errors.ts';
import type { Serde } from '../serdes.ts';
import { KeyValueStore, type ReadOnlyKeyValueStore } from '../state/key-value-store.ts';
import { TimeIndexedStore } from '../state/time-indexed-store.ts';
import { type ReadOnlyWindowStore, windowStoreView } from '../state/window-view.ts';
import { checkCopartitioningFor } from './copartition-check.ts';
import {
  type DriverPort,
  type StoredRecord,
  TestInputTopic,
  TestOutputTopic,
} from './test-topics.ts';

export interface TopologyTestDriverOptions {
  /** Prefix of internal topic names (default `test-app`). */
  readonly applicationId?: string;
  /** Starting wall-clock time in ms (default 0). */
  readonly wallClockMs?: number;
  readonly deserializationErrors?: DeserializationErrorPolicy;
  /**
   * Partition counts of input topics, to run the co-partitioning check as a cluster would
   * (the driver itself still runs one partition). Unlisted topics count 1.
   */
  readonly partitions?: Readonly<Record<string, number>>;
}

export class TopologyTestDriver {
  readonly applicationId: string;
  private readonly tasks: Task[] = [];
  private readonly readers = new Map<string, Task>();
  private readonly topics = new Map<string, StoredRecord[]>();
  private readonly pending: InputRecord[] = [];
  private wallClock: number;
  private closed = false;
  /** Records dropped by operators (late for their windows...), with the reason. */
  readonly dropped: { reason: string; record: StreamRecord }[] = [];
  /** Input records skipped for bytes a serde could not read (with `deserializationErrors: 'skip'`). */
  readonly skipped: string[] = [];
  /** Committed offset per input topic, as the runtime would commit them. */
  readonly committed = new Map<string, number>();

  constructor(
    readonly topology: Topology,
    options: TopologyTestDriverOptions = {},
  ) {
    this.applicationId = options.applicationId ?? 'test-app';
    this.wallClock = options.wallClockMs ?? 0;
    checkCopartitioningFor(topology, this.applicationId, options.partitions ?? {});
    const collector = { send: (record: OutputRecord) => this.collect(record) };
    for (const subtopology of topology.subtopologies) {
      const task = new Task({
        applicationId: this.applicationId,
        subtopology,
        partition: 0,
        collector,
        deserializationErrors: options.deserializationErrors ?? 'fail',
        onSkipped: (reason) => this.skipped.push(reason),
        onDropped: (reason, record) => this.dropped.push({ reason, record }),
      });
      this.tasks.push(task);
      for (const topic of task.inputTopics) this.readers.set(topic, task);
    }
    this.punctuate();
  }

  private readonly port: DriverPort = {
    pipe: (topic, record) => this.pipe(topic, record),
    read: (topic, from) => (this.topics.get(topic) ?? []).slice(from),
    wallClockMs: () => this.wallClock,
  };

  createInputTopic<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    options: { startTimestampMs?: number; autoAdvanceMs?: number } = {},
  ): TestInputTopic<K, V> {
    if (!this.readers.has(topic))
      throw new InvalidArgumentError(`no source of the topology reads ${topic}`);
    return new TestInputTopic(
      this.port,
      topic,
      keySerde,
      valueSerde,
      options.startTimestampMs ?? this.wallClock,
      options.autoAdvanceMs ?? 0,
    );
  }

  /** Records written to `topic` (an output topic, or a resolved internal topic name). */
  createOutputTopic<K, V>(
    topic: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
  ): TestOutputTopic<K, V> {
    return new TestOutputTopic(this.port, topic, keySerde, valueSerde);
  }

  /** Names of every topic written so far (outputs, repartition and changelog topics). */
  producedTopicNames(): string[] {
    return [...this.topics.keys()].filter(
      (t) => !this.readers.has(t) || t.startsWith(`${this.applicationId}-`),
    );
  }

  private pipe(topic: string, record: Omit<StoredRecord, 'offset'>): void {
    if (this.closed) throw new IllegalStateError('the driver is closed');
    const stored = this.append(topic, record);
    this.pending.push({ topic, partition: 0, ...stored });
    this.drain();
    this.commit();
  }

  private append(topic: string, record: Omit<StoredRecord, 'offset'>): StoredRecord {
    const log = this.topics.get(topic) ?? [];
    this.topics.set(topic, log);
    const stored = { ...record, offset: log.length };
    log.push(stored);
    return stored;
  }

  private collect(record: OutputRecord): void {
    const stored = this.append(record.topic, record);
    if (this.readers.has(record.topic))
      this.pending.push({ topic: record.topic, partition: 0, ...stored });
  }

  /** Processes piped records and everything they write to repartition topics, in order. */
  private drain(): void {
    while (this.pending.length > 0) {
      const record = this.pending.shift() as InputRecord;
      (this.readers.get(record.topic) as Task).process(record);
    }
  }

  /** What the runtime does at a commit: changelog records out, input offsets committed. */
  private commit(): void {
    for (const task of this.tasks) {
      const { changelog, position } = prepareCommit(task);
      for (const [topic, records] of changelog) {
        for (const r of records) {
          this.append(topic, {
            key: r.key,
            value: r.value,
            timestamp: Math.max(0, task.streamTimeMs()),
            headers: r.headers,
          });
        }
      }
      for (const [topic, offset] of position) this.committed.set(topic, offset);
    }
  }

  /** Moves wall-clock time forward and runs the wall-clock punctuations now due. */
  advanceWallClockTime(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw new InvalidArgumentError(`cannot advance the clock by ${ms} ms`);
    this.wallClock += ms;
    this.punctuate();
    this.drain();
    this.commit();
  }

  private punctuate(): void {
    for (const task of this.tasks) task.punctuateWallClock(this.wallClock);
  }

  private findStore(name: string) {
    for (const task of this.tasks) if (task.stores.has(name)) return task.store(name);
    throw new InvalidArgumentError(`the topology has no store named ${name}`);
  }

  getKeyValueStore<K, V>(name: string): ReadOnlyKeyValueStore<K, V> {
    const store = this.findStore(name);
    if (!(store instanceof KeyValueStore))
      throw new InvalidArgumentError(`store ${name} is a ${store.kind} store`);
    return store as KeyValueStore<K, V>;
  }

  /** A window or session store (windows by start; sessions by start and end). */
  getWindowStore<K, V>(name: string): ReadOnlyWindowStore<K, V> {
    const store = this.findStore(name);
    if (!(store instanceof TimeIndexedStore))
      throw new InvalidArgumentError(`store ${name} is a ${store.kind} store`);
    return windowStoreView(store as TimeIndexedStore<K, V>);
  }

  /** Records written to `topic` so far, in bytes (changelogs, repartition topics...). */
  rawRecords(topic: string): readonly StoredRecord[] {
    return this.topics.get(topic) ?? [];
  }

  internalTopic(name: string): string {
    return resolveTopic(this.applicationId, { name, internal: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.tasks) task.close();
  }
}
