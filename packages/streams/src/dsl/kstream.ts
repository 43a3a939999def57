/**
 * KStream: an unbounded stream of records, each independent of the others. Operators that
 * change the key mark the stream as needing a repartition; the next operator that groups or
 * joins by key then routes it through an internal topic `<applicationId>-<name>-repartition`,
 * so records with the same key meet in the same task.
 */
import type { ProcessorSupplier } from '../engine/processor.ts';
import type { StreamRecord } from '../engine/record.ts';
import type { TopicRef } from '../engine/topology.ts';
import { checkTopicName } from '../engine/topology.ts';
import { InvalidArgumentError, TopologyError } from '../errors.ts';
import {
  branchProcessor,
  passThroughProcessor,
  type RecordTransform,
  transformProcessor,
} from '../processors/stateless.ts';
import { joinRetentionMs, joinSideProcessor } from '../processors/stream-stream-join.ts';
import { streamTableJoinProcessor } from '../processors/stream-table-join.ts';
import type { ValueGetterSupplier } from '../processors/table-getter.ts';
import { tableSourceProcessor } from '../processors/table-processors.ts';
import type { Serde } from '../serdes.ts';
import type { JoinWindows } from '../windows/join-windows.ts';
import type { BuilderContext } from './builder-context.ts';
import { joinBufferSerde } from './internal-serdes.ts';
import { KGroupedStream } from './kgrouped-stream.ts';
import { KTable, storeBackedTable } from './ktable.ts';
import type {
  Grouped,
  Joined,
  KeyValuePair,
  Materialized,
  Produced,
  Repartitioned,
  StreamJoined,
} from './options.ts';

type StreamJoinKind = 'inner' | 'left' | 'outer';

export class KStream<K, V> {
  /** Internal: made by `StreamsBuilder` and the operators. */
  constructor(
    readonly context: BuilderContext,
    readonly nodeName: string,
    readonly keySerde: Serde<K> | undefined,
    readonly valueSerde: Serde<V> | undefined,
    readonly repartitionRequired: boolean,
  ) {}

  private derive<K2, V2>(
    prefix: string,
    transform: RecordTransform,
    shape: { keyChanged: boolean; keySerde?: Serde<K2>; valueSerde?: Serde<V2> },
  ): KStream<K2, V2> {
    const name = this.context.graph.newName(prefix);
    this.context.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName],
      supplier: transformProcessor(transform),
    });
    return new KStream<K2, V2>(
      this.context,
      name,
      shape.keySerde,
      shape.valueSerde,
      this.repartitionRequired || shape.keyChanged,
    );
  }

  filter(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.derive('filter', (r) => (predicate(r.key as K, r.value as V) ? [r] : []), {
      keyChanged: false,
      keySerde: this.keySerde,
      valueSerde: this.valueSerde,
    });
  }

  filterNot(predicate: (key: K, value: V) => boolean): KStream<K, V> {
    return this.filter((key, value) => !predicate(key, value));
  }

  map<KR, VR>(mapper: (key: K, value: V) => KeyValuePair<KR, VR>): KStream<KR, VR> {
    return this.derive<KR, VR>(
      'map',
      (r) => {
        const out = mapper(r.key as K, r.value as V);
        return [{ ...r, key: out.key, value: out.value }];
      },
      { keyChanged: true },
    );
  }

  mapValues<VR>(mapper: (value: V, key: K) => VR): KStream<K, VR> {
    return this.derive<K, VR>(
      'map-values',
      (r) => [{ ...r, value: mapper(r.value as V, r.key as K) }],
      {
        keyChanged: false,
        keySerde: this.keySerde,
      },
    );
  }

  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValuePair<KR, VR>>): KStream<KR, VR> {
    return this.derive<KR, VR>(
      'flat-map',
      (r) =>
        [...mapper(r.key as K, r.value as V)].map((out) => ({
          ...r,
          key: out.key,
          value: out.value,
        })),
      { keyChanged: true },
    );
  }

  flatMapValues<VR>(mapper: (value: V, key: K) => Iterable<VR>): KStream<K, VR> {
    return this.derive<K, VR>(
      'flat-map-values',
      (r) => [...mapper(r.value as V, r.key as K)].map((value) => ({ ...r, value })),
      {
        keyChanged: false,
        keySerde: this.keySerde,
      },
    );
  }

  selectKey<KR>(mapper: (key: K, value: V) => KR): KStream<KR, V> {
    return this.derive<KR, V>(
      'select-key',
      (r) => [{ ...r, key: mapper(r.key as K, r.value as V) }],
      {
        keyChanged: true,
        valueSerde: this.valueSerde,
      },
    );
  }

  peek(action: (key: K, value: V) => void): KStream<K, V> {
    return this.derive(
      'peek',
      (r) => {
        action(r.key as K, r.value as V);
        return [r];
      },
      { keyChanged: false, keySerde: this.keySerde, valueSerde: this.valueSerde },
    );
  }

  /** Splits the stream: each record goes to the first branch whose predicate it satisfies. */
  branch(...predicates: ((key: K, value: V) => boolean)[]): KStream<K, V>[] {
    if (predicates.length === 0)
      throw new InvalidArgumentError('branch needs at least one predicate');
    const graph = this.context.graph;
    const name = graph.newName('branch');
    const childNames = predicates.map((_, i) => `${name}-${i}`);
    const tests = predicates.map((p) => (r: StreamRecord) => p(r.key as K, r.value as V));
    graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName],
      supplier: branchProcessor(tests, childNames),
    });
    return childNames.map((child) => {
      graph.addNode({
        kind: 'processor',
        name: child,
        parents: [name],
        supplier: passThroughProcessor(),
      });
      return new KStream<K, V>(
        this.context,
        child,
        this.keySerde,
        this.valueSerde,
        this.repartitionRequired,
      );
    });
  }

  merge(other: KStream<K, V>): KStream<K, V> {
    const name = this.context.graph.newName('merge');
    this.context.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName, other.nodeName],
      supplier: passThroughProcessor(),
    });
    return new KStream(
      this.context,
      name,
      this.keySerde ?? other.keySerde,
      this.valueSerde ?? other.valueSerde,
      this.repartitionRequired || other.repartitionRequired,
    );
  }

  /** Writes the stream to a topic; the producer places records by a hash of the key bytes. */
  to(topic: string, produced: Produced<K, V> = {}): void {
    checkTopicName(topic, 'output topic');
    const graph = this.context.graph;
    graph.addNode({
      kind: 'sink',
      name: graph.newName('sink'),
      parents: [this.nodeName],
      topic: { name: topic, internal: false },
      keySerde: this.context.keySerde(produced.keySerde, this.keySerde) as Serde<unknown>,
      valueSerde: this.context.valueSerde(produced.valueSerde, this.valueSerde) as Serde<unknown>,
    });
  }

  /** Routes the stream through an internal topic, so its records are partitioned by their current key. */
  repartition(options: Repartitioned<K, V> = {}): KStream<K, V> {
    if (
      options.partitions !== undefined &&
      (!Number.isSafeInteger(options.partitions) || options.partitions < 1)
    ) {
      throw new InvalidArgumentError(
        `repartition partitions must be a positive integer, got ${options.partitions}`,
      );
    }
    const graph = this.context.graph;
    const base = options.name ?? graph.newName('repartition');
    const topic: TopicRef =
      options.partitions === undefined
        ? { name: `${base}-repartition`, internal: true }
        : { name: `${base}-repartition`, internal: true, partitions: options.partitions };
    const keySerde = this.context.keySerde(options.keySerde, this.keySerde);
    const valueSerde = this.context.valueSerde(options.valueSerde, this.valueSerde);
    graph.addNode({
      kind: 'sink',
      name: `${base}-repartition-sink`,
      parents: [this.nodeName],
      topic,
      keySerde: keySerde as Serde<unknown>,
      valueSerde: valueSerde as Serde<unknown>,
    });
    const source = `${base}-repartition-source`;
    graph.addNode({
      kind: 'source',
      name: source,
      topics: [topic],
      keySerde: keySerde as Serde<unknown>,
      valueSerde: valueSerde as Serde<unknown>,
    });
    return new KStream(this.context, source, keySerde, valueSerde, false);
  }

  /** This stream, repartitioned if an earlier operator changed the key. */
  private partitionedByKey(options: {
    name?: string;
    keySerde?: Serde<K>;
    valueSerde?: Serde<V>;
  }): KStream<K, V> {
    if (!this.repartitionRequired) return this;
    const repartitioned: Repartitioned<K, V> = {
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.keySerde === undefined ? {} : { keySerde: options.keySerde }),
      ...(options.valueSerde === undefined ? {} : { valueSerde: options.valueSerde }),
    };
    return this.repartition(repartitioned);
  }

  groupByKey(grouped: Grouped<K, V> = {}): KGroupedStream<K, V> {
    const stream = this.partitionedByKey(grouped);
    return new KGroupedStream(
      this.context,
      stream.nodeName,
      this.context.keySerde(grouped.keySerde, stream.keySerde),
      this.context.valueSerde(grouped.valueSerde, stream.valueSerde),
    );
  }

  groupBy<KR>(
    selector: (key: K, value: V) => KR,
    grouped: Grouped<KR, V> = {},
  ): KGroupedStream<KR, V> {
    const keyed = this.selectKey(selector);
    return keyed.groupByKey(grouped);
  }

  /** A table of the stream's latest value per key (a null value deletes the key). */
  toTable(materialized: Materialized<K, V> = {}): KTable<K, V> {
    const stream = this.partitionedByKey({});
    const keySerde = this.context.keySerde(materialized.keySerde, stream.keySerde);
    const valueSerde = this.context.valueSerde(materialized.valueSerde, stream.valueSerde);
    return storeBackedTable(this.context, {
      prefix: 'to-table',
      parent: stream.nodeName,
      materialized,
      keySerde,
      valueSerde,
      supplier: tableSourceProcessor,
    });
  }

  /** Inner join: with a stream, within `windows`; with a table, a lookup per stream record. */
  join<VO, VR>(
    other: KStream<K, VO>,
    joiner: (value: V, other: VO, key: K) => VR,
    windows: JoinWindows,
    options?: StreamJoined<K, V, VO>,
  ): KStream<K, VR>;
  join<VT, VR>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT, key: K) => VR,
    options?: Joined<K, V, VT>,
  ): KStream<K, VR>;
  join(
    other: KStream<K, unknown> | KTable<K, unknown>,
    joiner: (a: never, b: never, key: K) => unknown,
    third?: unknown,
    fourth?: unknown,
  ): KStream<K, unknown> {
    return this.dispatchJoin('inner', other, joiner as Joiner3, third, fourth);
  }

  /** Left join: every record of this stream gives a result, with null where no partner exists. */
  leftJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: (value: V, other: VO | null, key: K) => VR,
    windows: JoinWindows,
    options?: StreamJoined<K, V, VO>,
  ): KStream<K, VR>;
  leftJoin<VT, VR>(
    table: KTable<K, VT>,
    joiner: (value: V, tableValue: VT | null, key: K) => VR,
    options?: Joined<K, V, VT>,
  ): KStream<K, VR>;
  leftJoin(
    other: KStream<K, unknown> | KTable<K, unknown>,
    joiner: (a: never, b: never, key: K) => unknown,
    third?: unknown,
    fourth?: unknown,
  ): KStream<K, unknown> {
    return this.dispatchJoin('left', other, joiner as Joiner3, third, fourth);
  }

  /** Outer stream-stream join: records of either side without partner give a result with null. */
  outerJoin<VO, VR>(
    other: KStream<K, VO>,
    joiner: (value: V | null, other: VO | null, key: K) => VR,
    windows: JoinWindows,
    options?: StreamJoined<K, V, VO>,
  ): KStream<K, VR> {
    return this.streamJoin('outer', other, joiner as Joiner3, windows, options ?? {}) as KStream<
      K,
      VR
    >;
  }

  private dispatchJoin(
    kind: StreamJoinKind,
    other: KStream<K, unknown> | KTable<K, unknown>,
    joiner: Joiner3,
    third: unknown,
    fourth: unknown,
  ): KStream<K, unknown> {
    if (other instanceof KTable)
      return this.tableJoin(kind === 'left', other, joiner, (third ?? {}) as Joined<K, V, unknown>);
    if (!(third && typeof third === 'object' && 'beforeMs' in third)) {
      throw new InvalidArgumentError('a stream-stream join needs JoinWindows');
    }
    return this.streamJoin(
      kind,
      other,
      joiner,
      third as JoinWindows,
      (fourth ?? {}) as StreamJoined<K, V, unknown>,
    );
  }

  private streamJoin(
    kind: StreamJoinKind,
    otherStream: KStream<K, unknown>,
    joiner: Joiner3,
    windows: JoinWindows,
    options: StreamJoined<K, V, unknown>,
  ): KStream<K, unknown> {
    const ctx = this.context;
    const left = this.partitionedByKey({});
    const right = otherStream.partitionedByKey({});
    const keySerde = ctx.keySerde(
      options.keySerde,
      left.keySerde,
      right.keySerde,
    ) as Serde<unknown>;
    const base = options.storeName ?? ctx.graph.newName('join');
    const stores = { left: `${base}-left-store`, right: `${base}-right-store` };
    const retention = joinRetentionMs(windows);
    const valueSerdes = {
      left: ctx.valueSerde(options.valueSerde, left.valueSerde) as Serde<unknown>,
      right: ctx.valueSerde(options.otherValueSerde, right.valueSerde) as Serde<unknown>,
    };
    for (const side of ['left', 'right'] as const) {
      ctx.addTimeIndexedStore({
        name: stores[side],
        kind: 'buffer',
        keySerde,
        valueSerde: joinBufferSerde(valueSerdes[side]) as Serde<unknown>,
        expiresAtMs: (e) => e.a + retention,
        logged: options.logging ?? true,
      });
    }
    const names = { left: `${base}-left`, right: `${base}-right` };
    const fullJoiner = (l: unknown, r: unknown, key: unknown) =>
      joiner(l as never, r as never, key as K);
    for (const side of ['left', 'right'] as const) {
      const other = side === 'left' ? 'right' : 'left';
      const emitsUnmatched = (s: 'left' | 'right') =>
        kind === 'outer' || (kind === 'left' && s === 'left');
      ctx.graph.addNode({
        kind: 'processor',
        name: names[side],
        parents: [side === 'left' ? left.nodeName : right.nodeName],
        supplier: joinSideProcessor({
          side,
          ownStore: stores[side],
          otherStore: stores[other],
          windows,
          joiner: fullJoiner,
          emitOwnUnmatched: emitsUnmatched(side),
          emitOtherUnmatched: emitsUnmatched(other),
        }),
      });
      ctx.graph.connectStore(names[side], stores.left);
      ctx.graph.connectStore(names[side], stores.right);
    }
    ctx.graph.addCopartitionGroup([
      ...ctx.graph.upstreamSourceTopics(left.nodeName),
      ...ctx.graph.upstreamSourceTopics(right.nodeName),
    ]);
    const merged = ctx.graph.newName('join-merge');
    ctx.graph.addNode({
      kind: 'processor',
      name: merged,
      parents: [names.left, names.right],
      supplier: passThroughProcessor(),
    });
    return new KStream(ctx, merged, keySerde as Serde<K>, undefined, false);
  }

  private tableJoin(
    leftJoin: boolean,
    table: KTable<K, unknown>,
    joiner: Joiner3,
    options: Joined<K, V, unknown>,
  ): KStream<K, unknown> {
    const ctx = this.context;
    const stream = this.partitionedByKey({
      ...(options.keySerde ? { keySerde: options.keySerde } : {}),
      ...(options.valueSerde ? { valueSerde: options.valueSerde } : {}),
    });
    const getter = table.valueGetter() as ValueGetterSupplier<unknown, unknown>;
    const name = ctx.graph.newName(leftJoin ? 'stream-table-left-join' : 'stream-table-join');
    ctx.graph.addNode({
      kind: 'processor',
      name,
      parents: [stream.nodeName],
      supplier: streamTableJoinProcessor(
        getter,
        (v, t, key) => joiner(v as never, t as never, key as K),
        leftJoin,
      ),
    });
    for (const store of getter.storeNames) ctx.graph.connectStore(name, store);
    ctx.graph.addCopartitionGroup([
      ...ctx.graph.upstreamSourceTopics(stream.nodeName),
      ...ctx.graph.upstreamSourceTopics(table.nodeName),
    ]);
    return new KStream(ctx, name, stream.keySerde, undefined, false);
  }

  /**
   * Runs an application processor (Processor API) on each record; `storeNames` are stores
   * added with `StreamsBuilder.addStateStore` that it may use. Its forwards form the new stream.
   */
  process<KR, VR>(supplier: ProcessorSupplier<K, V>, ...storeNames: string[]): KStream<KR, VR> {
    const name = this.context.graph.newName('process');
    this.context.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName],
      supplier: supplier as ProcessorSupplier,
    });
    for (const store of storeNames) {
      if (!this.context.graph.hasStore(store))
        throw new TopologyError(`process: unknown store ${store}`);
      this.context.graph.connectStore(name, store);
    }
    return new KStream<KR, VR>(this.context, name, undefined, undefined, true);
  }
}

type Joiner3 = (a: unknown, b: unknown, key: unknown) => unknown;
