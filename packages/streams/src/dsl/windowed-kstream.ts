/**
 * Grouped streams aggregated in windows. The result is a table keyed by `Windowed<K>` whose
 * key serde writes the window after the key; `suppress(untilWindowCloses())` on it keeps
 * only each window's final result.
 */
import type { ProcessorSupplier } from '../engine/processor.ts';
import type { AggregateUpdate } from '../processors/aggregate.ts';
import { sessionAggregateProcessor } from '../processors/session-aggregate.ts';
import { slidingAggregateProcessor } from '../processors/sliding-aggregate.ts';
import { timeWindowAggregateProcessor } from '../processors/window-aggregate.ts';
import { type Serde, Serdes } from '../serdes.ts';
import { type Window, type Windowed, windowedSerde } from '../windowed.ts';
import type { SessionWindows } from '../windows/session-windows.ts';
import { SlidingWindows } from '../windows/sliding-windows.ts';
import type { TimeWindows } from '../windows/time-windows.ts';
import type { KGroupedStream } from './kgrouped-stream.ts';
import { KTable, windowStoreGetter } from './ktable.ts';
import type { Materialized } from './options.ts';

export class TimeWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: TimeWindows | SlidingWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregateWith(
      'window-count',
      (_k, _v, old) => ((old as number | undefined) ?? 0) + 1,
      materialized.valueSerde ?? Serdes.number(),
      materialized,
    );
  }

  reduce(
    reducer: (aggregate: V, value: V) => V,
    materialized: Materialized<K, V> = {},
  ): KTable<Windowed<K>, V> {
    const serde = this.grouped.context.valueSerde(materialized.valueSerde, this.grouped.valueSerde);
    return this.aggregateWith(
      'window-reduce',
      (_k, v, old) => (old === undefined ? v : reducer(old as V, v as V)),
      serde,
      materialized,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<Windowed<K>, VA> {
    const update: AggregateUpdate = (k, v, old) =>
      aggregator(k as K, v as V, old === undefined ? initializer() : (old as VA));
    return this.aggregateWith(
      'window-aggregate',
      update,
      this.grouped.context.valueSerde(materialized.valueSerde),
      materialized,
    );
  }

  private aggregateWith<VA>(
    prefix: string,
    update: AggregateUpdate,
    valueSerde: Serde<VA>,
    materialized: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA> {
    const ctx = this.grouped.context;
    const keySerde = ctx.keySerde(materialized.keySerde, this.grouped.keySerde);
    const storeName = ctx.storeName(prefix, materialized as Materialized<unknown, unknown>);
    const logged = materialized.logging ?? true;
    const windows = this.windows;
    let supplier: ProcessorSupplier;
    let closesAtMs: (w: Window) => number;
    if (windows instanceof SlidingWindows) {
      const bufferName = `${storeName}-records`;
      const keep = windows.differenceMs + windows.graceMs + 1;
      ctx.addTimeIndexedStore({
        name: bufferName,
        kind: 'buffer',
        keySerde: keySerde as Serde<unknown>,
        valueSerde: this.grouped.valueSerde as Serde<unknown>,
        expiresAtMs: (e) => e.a + keep,
        logged,
      });
      const retention = Math.max(materialized.retentionMs ?? 0, windows.graceMs + 1);
      ctx.addTimeIndexedStore({
        name: storeName,
        kind: 'window',
        keySerde: keySerde as Serde<unknown>,
        valueSerde: valueSerde as Serde<unknown>,
        expiresAtMs: (e) => e.b + retention,
        logged,
      });
      supplier = slidingAggregateProcessor(
        { buffer: bufferName, windows: storeName },
        windows,
        update,
      );
      closesAtMs = (w) => w.end + windows.graceMs + 1;
    } else {
      const retention = Math.max(materialized.retentionMs ?? 0, windows.retentionMs);
      ctx.addTimeIndexedStore({
        name: storeName,
        kind: 'window',
        keySerde: keySerde as Serde<unknown>,
        valueSerde: valueSerde as Serde<unknown>,
        expiresAtMs: (e) => e.a + retention,
        logged,
      });
      supplier = timeWindowAggregateProcessor(storeName, windows, update);
      closesAtMs = (w) => w.end + windows.graceMs;
    }
    const name = ctx.graph.newName(prefix);
    ctx.graph.addNode({ kind: 'processor', name, parents: [this.grouped.nodeName], supplier });
    ctx.graph.connectStore(name, storeName);
    if (windows instanceof SlidingWindows) ctx.graph.connectStore(name, `${storeName}-records`);
    return new KTable<Windowed<K>, VA>(
      ctx,
      name,
      windowedSerde(keySerde),
      valueSerde,
      windowStoreGetter(storeName),
      storeName,
      closesAtMs,
    );
  }
}

export class SessionWindowedKStream<K, V> {
  constructor(
    private readonly grouped: KGroupedStream<K, V>,
    private readonly windows: SessionWindows,
  ) {}

  count(materialized: Materialized<K, number> = {}): KTable<Windowed<K>, number> {
    return this.aggregateWith(
      'session-count',
      {
        initializer: () => 0,
        aggregator: (_k, _v, agg) => (agg as number) + 1,
        merger: (_k, a, b) => (a as number) + (b as number),
      },
      materialized.valueSerde ?? Serdes.number(),
      materialized,
    );
  }

  reduce(
    reducer: (aggregate: V, value: V) => V,
    materialized: Materialized<K, V> = {},
  ): KTable<Windowed<K>, V> {
    const none = Symbol('none');
    const serde = this.grouped.context.valueSerde(materialized.valueSerde, this.grouped.valueSerde);
    const combine = (a: unknown, b: unknown) =>
      a === none ? b : b === none ? a : reducer(a as V, b as V);
    return this.aggregateWith(
      'session-reduce',
      {
        initializer: () => none,
        aggregator: (_k, v, agg) => combine(agg, v),
        merger: (_k, a, b) => combine(a, b),
      },
      serde,
      materialized,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    merger: (key: K, left: VA, right: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<Windowed<K>, VA> {
    return this.aggregateWith(
      'session-aggregate',
      {
        initializer,
        aggregator: (k, v, agg) => aggregator(k as K, v as V, agg as VA),
        merger: (k, a, b) => merger(k as K, a as VA, b as VA),
      },
      this.grouped.context.valueSerde(materialized.valueSerde),
      materialized,
    );
  }

  private aggregateWith<VA>(
    prefix: string,
    functions: {
      initializer: () => unknown;
      aggregator: (k: unknown, v: unknown, agg: unknown) => unknown;
      merger: (k: unknown, a: unknown, b: unknown) => unknown;
    },
    valueSerde: Serde<VA>,
    materialized: Materialized<K, VA>,
  ): KTable<Windowed<K>, VA> {
    const ctx = this.grouped.context;
    const keySerde = ctx.keySerde(materialized.keySerde, this.grouped.keySerde);
    const storeName = ctx.storeName(prefix, materialized as Materialized<unknown, unknown>);
    const { gapMs, graceMs } = this.windows;
    const retention = Math.max(materialized.retentionMs ?? 0, gapMs + graceMs + 1);
    ctx.addTimeIndexedStore({
      name: storeName,
      kind: 'session',
      keySerde: keySerde as Serde<unknown>,
      valueSerde: valueSerde as Serde<unknown>,
      expiresAtMs: (e) => e.b + retention,
      logged: materialized.logging ?? true,
    });
    const name = ctx.graph.newName(prefix);
    ctx.graph.addNode({
      kind: 'processor',
      name,
      parents: [this.grouped.nodeName],
      supplier: sessionAggregateProcessor(storeName, this.windows, functions),
    });
    ctx.graph.connectStore(name, storeName);
    return new KTable<Windowed<K>, VA>(
      ctx,
      name,
      windowedSerde(keySerde),
      valueSerde,
      windowStoreGetter(storeName),
      storeName,
      (w) => w.end + graceMs + 1,
    );
  }
}
