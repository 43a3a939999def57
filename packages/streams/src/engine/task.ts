/**
 * A task: one instance of a sub-topology for one input partition, owning its processors,
 * its state stores and its position in each input topic. The runtime (or the test driver)
 * hands it records one at a time; processing is synchronous and depends only on the records
 * and the state, so a task replays identically (wall-clock punctuation aside).
 */
import { assert } from '../assert.ts';
import { StreamsError, TopologyError } from '../errors.ts';
import { Serdes } from '../serdes.ts';
import { KeyValueStore } from '../state/key-value-store.ts';
import type { StateStore, StoreChange } from '../state/state-store.ts';
import { type Origin, originAfter, originHeader, readOrigin, withoutOrigin } from './origin.ts';
import type {
  Cancellable,
  InternalProcessorContext,
  Processor,
  PunctuationType,
} from './processor.ts';
import { Punctuations } from './punctuation.ts';
import type { InputRecord, OutputRecord, RecordContext, StreamRecord } from './record.ts';
import type { NodeDef, SinkNodeDef, SourceNodeDef, Subtopology, TopicRef } from './topology.ts';

export interface RecordCollector {
  send(record: OutputRecord): void;
}

export type DeserializationErrorPolicy = 'fail' | 'skip';

export interface TaskOptions {
  readonly applicationId: string;
  readonly subtopology: Subtopology;
  readonly partition: number;
  readonly collector: RecordCollector;
  readonly deserializationErrors?: DeserializationErrorPolicy;
  /** Called for each input record skipped for bad bytes (duplicates are dropped silently). */
  readonly onSkipped?: (reason: string, record: InputRecord) => void;
  /** Called for each record an operator dropped (late for its window, negative timestamp). */
  readonly onDropped?: (reason: string, record: StreamRecord) => void;
}

/** The store that remembers the greatest origin read per repartition topic and origin partition. */
export function dedupStoreName(subtopologyId: number): string {
  return `repartition-dedup-${subtopologyId}`;
}

export function resolveTopic(applicationId: string, ref: TopicRef): string {
  return ref.internal ? `${applicationId}-${ref.name}` : ref.name;
}

export function changelogTopic(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

interface RuntimeNode {
  readonly def: NodeDef;
  readonly children: RuntimeNode[];
  readonly processor: Processor | undefined;
  readonly context: NodeContext;
}

export class Task {
  readonly id: string;
  readonly partition: number;
  readonly subtopology: Subtopology;
  readonly applicationId: string;
  private readonly nodes = new Map<string, RuntimeNode>();
  private readonly sourcesByTopic = new Map<string, RuntimeNode>();
  private readonly repartitionTopics = new Set<string>();
  private readonly storesByName = new Map<string, StateStore>();
  private readonly loggedStores = new Set<string>();
  private readonly dedup: KeyValueStore<string, [number, number]> | undefined;
  private readonly positions = new Map<string, number>();
  private readonly punctuations = new Punctuations();
  private streamTime = -1;
  private current: RecordContext | undefined;
  private originSequence = 0;
  private closed = false;

  constructor(private readonly options: TaskOptions) {
    this.subtopology = options.subtopology;
    this.partition = options.partition;
    this.applicationId = options.applicationId;
    this.id = `${this.subtopology.id}_${this.partition}`;
    for (const def of this.subtopology.stores) {
      if (def.logged) this.loggedStores.add(def.name);
      this.storesByName.set(def.name, def.create());
    }
    const repartitionSources = this.subtopology.sourceTopics.filter((t) => t.internal);
    for (const topic of repartitionSources) this.repartitionTopics.add(this.resolve(topic));
    if (repartitionSources.length > 0) {
      const name = dedupStoreName(this.subtopology.id);
      this.dedup = new KeyValueStore(name, Serdes.string(), Serdes.json<[number, number]>());
      this.storesByName.set(name, this.dedup);
      this.loggedStores.add(name);
    }
    this.buildNodes();
  }

  private resolve(ref: TopicRef): string {
    return resolveTopic(this.applicationId, ref);
  }

  private buildNodes(): void {
    for (const def of this.subtopology.nodes) {
      const context = new NodeContext(this, def.name);
      const processor = def.kind === 'processor' ? def.supplier() : undefined;
      this.nodes.set(def.name, { def, children: [], processor, context });
    }
    for (const node of this.nodes.values()) {
      for (const child of this.subtopology.children.get(node.def.name) ?? []) {
        node.children.push(this.nodes.get(child) as RuntimeNode);
      }
      if (node.def.kind === 'source') {
        for (const topic of node.def.topics) this.sourcesByTopic.set(this.resolve(topic), node);
      }
    }
    for (const node of this.nodes.values()) node.processor?.init?.(node.context);
  }

  /** Input topics of this task (resolved names). */
  get inputTopics(): string[] {
    return [...this.sourcesByTopic.keys()];
  }

  /** Stores of this task, the dedup store included. */
  get stores(): ReadonlyMap<string, StateStore> {
    return this.storesByName;
  }

  /** Whether the store's changes go to a changelog topic. */
  isLogged(storeName: string): boolean {
    return this.loggedStores.has(storeName);
  }

  store(name: string): StateStore {
    const store = this.storesByName.get(name);
    if (!store) throw new TopologyError(`task ${this.id} has no store ${name}`);
    return store;
  }

  streamTimeMs(): number {
    return this.streamTime;
  }

  get recordContext(): RecordContext | undefined {
    return this.current;
  }

  /** Next offset to process per input topic (only topics this task has read from). */
  position(): ReadonlyMap<string, number> {
    return this.positions;
  }

  /** Sets where processing starts (committed offsets), so position reflects it before any record. */
  seek(topic: string, offset: number): void {
    if (!this.sourcesByTopic.has(topic)) assert(false, `task ${this.id} reads ${topic}`);
    assert(Number.isSafeInteger(offset) && offset >= 0, 'offsets are safe non-negative integers');
    this.positions.set(topic, offset);
  }

  /** Processes one input record: deduplicates, deserializes, runs it through the graph. */
  process(record: InputRecord): void {
    if (this.closed) assert(false, `task ${this.id} is open`);
    if (record.partition !== this.partition)
      assert(false, `record of partition ${record.partition} reached task ${this.id}`);
    const source = this.sourcesByTopic.get(record.topic);
    if (source === undefined) assert(false, `task ${this.id} reads ${record.topic}`);
    const previous = this.positions.get(record.topic);
    if (!(previous === undefined || record.offset >= previous))
      assert(false, `task ${this.id}: ${record.topic} offsets move forward`);
    this.positions.set(record.topic, record.offset + 1);
    if (this.isDuplicate(record)) return;
    const decoded = this.deserialize(source.def as SourceNodeDef, record);
    if (decoded === undefined) return;
    this.current = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      headers: decoded.headers,
    };
    this.originSequence = 0;
    try {
      this.streamTime = Math.max(this.streamTime, record.timestamp);
      this.forwardTo(source.children, decoded);
      this.punctuations.fire('stream-time', this.streamTime, (callback) => callback());
    } finally {
      this.current = undefined;
    }
  }

  private isDuplicate(record: InputRecord): boolean {
    if (!this.dedup || !this.repartitionTopics.has(record.topic)) return false;
    const origin = readOrigin(record.headers);
    if (!origin) return false;
    // Per repartition topic: the consumer interleaves a task's topics in any order, and
    // only within one topic partition do a writer's origins arrive in increasing order.
    const key = `${record.topic} ${origin.topic} ${origin.partition}`;
    const seen = this.dedup.get(key);
    if (seen && !originAfter(origin, seen)) return true;
    this.dedup.put(key, [origin.offset, origin.sequence]);
    return false;
  }

  private deserialize(source: SourceNodeDef, record: InputRecord): StreamRecord | undefined {
    try {
      return {
        key: record.key === null ? null : source.keySerde.deserialize(record.key),
        value: record.value === null ? null : source.valueSerde.deserialize(record.value),
        timestamp: record.timestamp,
        headers: withoutOrigin(record.headers),
      };
    } catch (error) {
      const where = `${record.topic}/${record.partition}@${record.offset}`;
      if (this.options.deserializationErrors === 'skip') {
        this.options.onSkipped?.(
          `cannot deserialize ${where}: ${(error as Error).message}`,
          record,
        );
        return undefined;
      }
      throw new StreamsError(
        'DESERIALIZATION_ERROR',
        `task ${this.id}: cannot deserialize ${where}`,
        { cause: error },
      );
    }
  }

  /** Runs wall-clock punctuators due at `nowMs`; returns how many fired. */
  punctuateWallClock(nowMs: number): number {
    return this.punctuations.fire('wall-clock', nowMs, (callback) => callback());
  }

  get hasWallClockPunctuation(): boolean {
    return this.punctuations.hasWallClock;
  }

  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestampMs: number) => void,
  ): Cancellable {
    return this.punctuations.add(intervalMs, type, callback);
  }

  /** Forwards from `from` to its children (all, or the named one). */
  forward(from: string, record: StreamRecord, childName?: string): void {
    const node = this.nodes.get(from) as RuntimeNode;
    if (childName === undefined) {
      this.forwardTo(node.children, record);
      return;
    }
    const child = node.children.find((c) => c.def.name === childName);
    if (!child) throw new TopologyError(`${from} has no child ${childName}`);
    this.forwardTo([child], record);
  }

  private forwardTo(children: readonly RuntimeNode[], record: StreamRecord): void {
    for (const child of children) {
      if (child.def.kind === 'sink') this.sink(child.def, record);
      else (child.processor as Processor).process(record);
    }
  }

  private sink(def: SinkNodeDef, record: StreamRecord): void {
    const key =
      record.key === null || record.key === undefined ? null : def.keySerde.serialize(record.key);
    const value =
      record.value === null || record.value === undefined
        ? null
        : def.valueSerde.serialize(record.value);
    const headers = [...record.headers];
    const origin = this.nextOrigin();
    if (origin) headers.push(originHeader(origin));
    this.options.collector.send({
      topic: this.resolve(def.topic),
      key,
      value,
      timestamp: record.timestamp,
      headers,
    });
  }

  private nextOrigin(): Origin | undefined {
    if (!this.current) return undefined;
    const sequence = this.originSequence;
    this.originSequence += 1;
    return {
      topic: this.current.topic,
      partition: this.current.partition,
      offset: this.current.offset,
      sequence,
    };
  }

  /** Changes of every logged or persisted store since the last call. */
  drainChanges(): Map<string, StoreChange[]> {
    const changes = new Map<string, StoreChange[]>();
    for (const [name, store] of this.storesByName) changes.set(name, store.drainChanges());
    return changes;
  }

  /** Records dropped by operators so far (late records, mostly). */
  droppedRecords = 0;

  recordDropped(reason: string, record: StreamRecord): void {
    this.droppedRecords += 1;
    this.options.onDropped?.(reason, record);
  }

  canUseStore(processor: string, store: string): boolean {
    if (store === dedupStoreName(this.subtopology.id)) return false;
    return this.subtopology.storeUsers.get(store)?.includes(processor) ?? false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const node of this.nodes.values()) node.processor?.close?.();
  }
}

class NodeContext implements InternalProcessorContext {
  constructor(
    private readonly task: Task,
    private readonly nodeName: string,
  ) {}

  get applicationId(): string {
    return this.task.applicationId;
  }

  get taskId(): string {
    return this.task.id;
  }

  get partition(): number {
    return this.task.partition;
  }

  get recordContext(): RecordContext | undefined {
    return this.task.recordContext;
  }

  streamTimeMs(): number {
    return this.task.streamTimeMs();
  }

  forward(record: StreamRecord, childName?: string): void {
    this.task.forward(this.nodeName, record, childName);
  }

  getStateStore<S>(name: string): S {
    if (!this.task.canUseStore(this.nodeName, name)) {
      throw new TopologyError(`processor ${this.nodeName} is not connected to store ${name}`);
    }
    return this.task.store(name) as S;
  }

  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestampMs: number) => void,
  ): Cancellable {
    return this.task.schedule(intervalMs, type, callback);
  }

  recordDropped(reason: string, record: StreamRecord): void {
    this.task.recordDropped(`${this.nodeName}: ${reason}`, record);
  }
}
