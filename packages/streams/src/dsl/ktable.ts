/**
 * KTable: a changelog stream read as a table, the latest value per key. Operators forward
 * changes (new and old value). Every table can be looked up by key through a value getter,
 * which reads a store (materialized tables) or derives the value from its parent's.
 */
import type { ProcessorContext, ProcessorSupplier } from '../engine/processor.ts';
import { TopologyError } from '../errors.ts';
import { suppressProcessor } from '../processors/suppress.ts';
import type { ValueGetterSupplier } from '../processors/table-getter.ts';
import {
  tableChangeProcessor,
  tableRegroupProcessor,
  toStreamProcessor,
} from '../processors/table-processors.ts';
import {
  joinValues,
  type TableJoinKind,
  tableJoinSideProcessor,
} from '../processors/table-table-join.ts';
import type { Serde } from '../serdes.ts';
import type { KeyValueStore } from '../state/key-value-store.ts';
import type { TimeIndexedStore } from '../state/time-indexed-store.ts';
import type { Window, Windowed } from '../windowed.ts';
import type { BuilderContext } from './builder-context.ts';
import { groupChangeSerde, suppressedSerde } from './internal-serdes.ts';
import { KGroupedTable } from './kgrouped-table.ts';
import { KStream } from './kstream.ts';
import type { Grouped, KeyValuePair, Materialized } from './options.ts';

/**
 * A table materialized in a key-value store by one processor under `parent` (an
 * aggregation, or a stream or topic read as a table).
 */
export function storeBackedTable<K, V>(
  ctx: BuilderContext,
  options: {
    prefix: string;
    parent: string;
    materialized: Materialized<K, V>;
    keySerde: Serde<K>;
    valueSerde: Serde<V>;
    supplier: (storeName: string) => ProcessorSupplier;
  },
): KTable<K, V> {
  const { prefix, materialized } = options;
  const storeName = ctx.storeName(prefix, materialized as Materialized<unknown, unknown>);
  ctx.addKeyValueStore(
    storeName,
    options.keySerde as Serde<unknown>,
    options.valueSerde as Serde<unknown>,
    materialized.logging ?? true,
  );
  const name = ctx.graph.newName(prefix);
  ctx.graph.addNode({
    kind: 'processor',
    name,
    parents: [options.parent],
    supplier: options.supplier(storeName),
  });
  ctx.graph.connectStore(name, storeName);
  return new KTable<K, V>(
    ctx,
    name,
    options.keySerde,
    options.valueSerde,
    storeGetter(storeName),
    storeName,
  );
}

export function storeGetter<K, V>(storeName: string): ValueGetterSupplier<K, V> {
  return {
    storeNames: [storeName],
    create(context: ProcessorContext) {
      const store = context.getStateStore<KeyValueStore<K, V>>(storeName);
      return (key) => store.get(key) ?? null;
    },
  };
}

/** A getter for a windowed table, whose store is indexed by (key, start, end). */
export function windowStoreGetter<K, V>(storeName: string): ValueGetterSupplier<Windowed<K>, V> {
  return {
    storeNames: [storeName],
    create(context: ProcessorContext) {
      const store = context.getStateStore<TimeIndexedStore<K, V>>(storeName);
      return (key) => store.get(key.key, key.window.start, key.window.end) ?? null;
    },
  };
}

/** Which results to suppress: only `untilWindowCloses` (final results of windows) exists. */
export interface Suppressed {
  readonly kind: 'until-window-closes';
  readonly name?: string;
}

export const Suppressed = {
  untilWindowCloses(options: { name?: string } = {}): Suppressed {
    return { kind: 'until-window-closes', ...options };
  },
};

export class KTable<K, V> {
  /** Internal: made by the DSL. */
  constructor(
    readonly context: BuilderContext,
    readonly nodeName: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V> | undefined,
    private readonly getter: ValueGetterSupplier<K, V> | undefined,
    /** The store interactive queries read, when the table is materialized. */
    readonly queryableStoreName: string | undefined,
    /** For windowed tables: when a window closes (stream time at which it is final). */
    readonly closesAtMs?: (window: Window) => number,
  ) {}

  valueGetter(): ValueGetterSupplier<K, V> {
    if (!this.getter) {
      throw new TopologyError(
        `table ${this.nodeName} cannot be looked up (a suppressed table): materialize it first`,
      );
    }
    return this.getter;
  }

  private derive<VR>(
    prefix: string,
    fn: (key: K, value: V) => VR | null,
    materialized: Materialized<K, VR> | undefined,
  ): KTable<K, VR> {
    const ctx = this.context;
    const name = ctx.graph.newName(prefix);
    let storeName: string | undefined;
    const valueSerde = materialized?.valueSerde;
    if (materialized) {
      storeName = ctx.storeName(prefix, materialized as Materialized<unknown, unknown>);
      ctx.addKeyValueStore(
        storeName,
        ctx.keySerde(materialized.keySerde, this.keySerde) as Serde<unknown>,
        ctx.valueSerde(valueSerde) as Serde<unknown>,
        materialized.logging ?? true,
      );
    }
    ctx.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName],
      supplier: tableChangeProcessor((k, v) => fn(k as K, v as V), storeName),
    });
    if (storeName) ctx.graph.connectStore(name, storeName);
    const parent = this.getter;
    const getter: ValueGetterSupplier<K, VR> | undefined = storeName
      ? storeGetter(storeName)
      : parent && {
          storeNames: parent.storeNames,
          create(context) {
            const lookup = parent.create(context);
            return (key) => {
              const value = lookup(key);
              return value === null ? null : (fn(key, value) ?? null);
            };
          },
        };
    return new KTable<K, VR>(
      ctx,
      name,
      this.keySerde,
      valueSerde,
      getter,
      storeName,
      this.closesAtMs,
    );
  }

  filter(
    predicate: (key: K, value: V) => boolean,
    materialized?: Materialized<K, V>,
  ): KTable<K, V> {
    const table = this.derive<V>(
      'table-filter',
      (k, v) => (predicate(k, v) ? v : null),
      materialized,
    );
    return table.valueSerde === undefined
      ? new KTable(
          table.context,
          table.nodeName,
          table.keySerde,
          this.valueSerde,
          table.getter,
          table.queryableStoreName,
          table.closesAtMs,
        )
      : table;
  }

  filterNot(
    predicate: (key: K, value: V) => boolean,
    materialized?: Materialized<K, V>,
  ): KTable<K, V> {
    return this.filter((k, v) => !predicate(k, v), materialized);
  }

  mapValues<VR>(
    mapper: (value: V, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR> {
    return this.derive<VR>('table-map-values', (k, v) => mapper(v, k), materialized);
  }

  /** The table's changes as a stream: one record per update, null value for a deletion. */
  toStream(): KStream<K, V> {
    const name = this.context.graph.newName('to-stream');
    this.context.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName],
      supplier: toStreamProcessor(),
    });
    return new KStream<K, V>(this.context, name, this.keySerde, this.valueSerde, false);
  }

  /** Re-groups the table by a new key (always through a repartition topic). */
  groupBy<KR, VR>(
    selector: (key: K, value: V) => KeyValuePair<KR, VR>,
    grouped: Grouped<KR, VR> = {},
  ): KGroupedTable<KR, VR> {
    const ctx = this.context;
    const graph = ctx.graph;
    const base = grouped.name ?? graph.newName('table-group-by');
    const keySerde = ctx.keySerde(grouped.keySerde) as Serde<unknown>;
    const valueSerde = ctx.valueSerde(grouped.valueSerde) as Serde<unknown>;
    const mapName = `${base}-select`;
    graph.addNode({
      kind: 'processor',
      name: mapName,
      parents: [this.nodeName],
      supplier: tableRegroupProcessor((k, v) => selector(k as K, v as V)),
    });
    const topic = { name: `${base}-repartition`, internal: true };
    const changeSerde = groupChangeSerde(valueSerde) as Serde<unknown>;
    graph.addNode({
      kind: 'sink',
      name: `${base}-repartition-sink`,
      parents: [mapName],
      topic,
      keySerde,
      valueSerde: changeSerde,
    });
    const source = `${base}-repartition-source`;
    graph.addNode({
      kind: 'source',
      name: source,
      topics: [topic],
      keySerde,
      valueSerde: changeSerde,
    });
    return new KGroupedTable<KR, VR>(ctx, source, keySerde as Serde<KR>, valueSerde as Serde<VR>);
  }

  join<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, other: VO, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR> {
    return this.tableJoin('inner', other, joiner as JoinFn, materialized);
  }

  leftJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V, other: VO | null, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR> {
    return this.tableJoin('left', other, joiner as JoinFn, materialized);
  }

  outerJoin<VO, VR>(
    other: KTable<K, VO>,
    joiner: (value: V | null, other: VO | null, key: K) => VR,
    materialized?: Materialized<K, VR>,
  ): KTable<K, VR> {
    return this.tableJoin('outer', other, joiner as JoinFn, materialized);
  }

  private tableJoin(
    kind: TableJoinKind,
    other: KTable<K, unknown>,
    joiner: JoinFn,
    materialized: Materialized<K, unknown> | undefined,
  ): KTable<K, never> {
    const ctx = this.context;
    const graph = ctx.graph;
    const base = graph.newName(`table-${kind}-join`);
    const leftGetter = this.valueGetter();
    const rightGetter = other.valueGetter();
    const join = (l: unknown, r: unknown, key: unknown) => joiner(l, r, key);
    const sides = [
      { name: `${base}-left`, parent: this.nodeName, side: 'left' as const, lookup: rightGetter },
      {
        name: `${base}-right`,
        parent: other.nodeName,
        side: 'right' as const,
        lookup: leftGetter as ValueGetterSupplier<unknown, unknown>,
      },
    ];
    for (const s of sides) {
      graph.addNode({
        kind: 'processor',
        name: s.name,
        parents: [s.parent],
        supplier: tableJoinSideProcessor(
          s.side,
          s.lookup as ValueGetterSupplier<unknown, unknown>,
          kind,
          join,
        ),
      });
      for (const store of s.lookup.storeNames) graph.connectStore(s.name, store);
    }
    graph.addCopartitionGroup([
      ...graph.upstreamSourceTopics(this.nodeName),
      ...graph.upstreamSourceTopics(other.nodeName),
    ]);
    const merged = `${base}-merge`;
    graph.addNode({
      kind: 'processor',
      name: merged,
      parents: sides.map((s) => s.name),
      supplier: tableChangeProcessor((_k, v) => v),
    });
    const getter: ValueGetterSupplier<K, never> = {
      storeNames: [...leftGetter.storeNames, ...rightGetter.storeNames],
      create(context) {
        const left = leftGetter.create(context);
        const right = rightGetter.create(context);
        return (key) => joinValues(kind, join, key, left(key), right(key)) as never;
      },
    };
    const table = new KTable<K, never>(ctx, merged, this.keySerde, undefined, getter, undefined);
    if (!materialized) return table;
    return table.mapValues((v) => v, materialized as Materialized<K, never>);
  }

  /** Emits only each window's final result, once it has closed (windowed tables only). */
  suppress(suppressed: Suppressed): KTable<K, V> {
    const closesAtMs = this.closesAtMs;
    if (!closesAtMs) throw new TopologyError('suppress(untilWindowCloses) needs a windowed table');
    const ctx = this.context;
    const base = suppressed.name ?? ctx.graph.newName('suppress');
    const storeName = `${base}-store`;
    const windowed = this.keySerde as unknown as { inner?: Serde<unknown> };
    const innerKeySerde = windowed.inner ?? ctx.keySerde();
    ctx.addTimeIndexedStore({
      name: storeName,
      kind: 'buffer',
      keySerde: innerKeySerde,
      valueSerde: suppressedSerde(
        ctx.valueSerde(this.valueSerde as Serde<unknown> | undefined),
      ) as Serde<unknown>,
      expiresAtMs: () => Number.POSITIVE_INFINITY,
      logged: true,
    });
    const name = base;
    ctx.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.nodeName],
      supplier: suppressProcessor(storeName, closesAtMs),
    });
    ctx.graph.connectStore(name, storeName);
    return new KTable<K, V>(
      ctx,
      name,
      this.keySerde,
      this.valueSerde,
      undefined,
      undefined,
      closesAtMs,
    );
  }
}

type JoinFn = (a: unknown, b: unknown, key: unknown) => unknown;
