/** A stream grouped by key, ready to aggregate (optionally in windows). */
import { InvalidArgumentError } from '../errors.ts';
import { type AggregateUpdate, streamAggregateProcessor } from '../processors/aggregate.ts';
import { type Serde, Serdes } from '../serdes.ts';
import { SessionWindows } from '../windows/session-windows.ts';
import { SlidingWindows } from '../windows/sliding-windows.ts';
import { TimeWindows } from '../windows/time-windows.ts';
import type { BuilderContext } from './builder-context.ts';
import { type KTable, storeBackedTable } from './ktable.ts';
import type { Materialized } from './options.ts';
import { SessionWindowedKStream, TimeWindowedKStream } from './windowed-kstream.ts';

export class KGroupedStream<K, V> {
  /** Internal: made by `groupByKey` and `groupBy`. */
  constructor(
    readonly context: BuilderContext,
    readonly nodeName: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
  ) {}

  private aggregateWith<VA>(
    prefix: string,
    update: AggregateUpdate,
    valueSerde: Serde<VA>,
    materialized: Materialized<K, VA>,
  ): KTable<K, VA> {
    return storeBackedTable(this.context, {
      prefix,
      parent: this.nodeName,
      materialized,
      keySerde: this.context.keySerde(materialized.keySerde, this.keySerde),
      valueSerde,
      supplier: (store) => streamAggregateProcessor(store, update),
    });
  }

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    const serde = materialized.valueSerde ?? Serdes.number();
    return this.aggregateWith(
      'count',
      (_k, _v, old) => ((old as number | undefined) ?? 0) + 1,
      serde,
      materialized,
    );
  }

  reduce(
    reducer: (aggregate: V, value: V) => V,
    materialized: Materialized<K, V> = {},
  ): KTable<K, V> {
    const serde = this.context.valueSerde(materialized.valueSerde, this.valueSerde);
    return this.aggregateWith(
      'reduce',
      (_k, v, old) => (old === undefined ? v : reducer(old as V, v as V)),
      serde,
      materialized,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    aggregator: (key: K, value: V, aggregate: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<K, VA> {
    const serde = this.context.valueSerde(materialized.valueSerde);
    const update: AggregateUpdate = (k, v, old) =>
      aggregator(k as K, v as V, old === undefined ? initializer() : (old as VA));
    return this.aggregateWith('aggregate', update, serde, materialized);
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(
    windows: TimeWindows | SlidingWindows | SessionWindows,
  ): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    if (windows instanceof SessionWindows) return new SessionWindowedKStream(this, windows);
    if (windows instanceof TimeWindows || windows instanceof SlidingWindows)
      return new TimeWindowedKStream(this, windows);
    throw new InvalidArgumentError(
      'windowedBy needs TimeWindows, SlidingWindows or SessionWindows',
    );
  }
}
