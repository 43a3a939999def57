/** A table re-grouped by a new key: aggregations add new values and subtract replaced ones. */
import { type TableAggregateFunctions, tableAggregateProcessor } from '../processors/aggregate.ts';
import { type Serde, Serdes } from '../serdes.ts';
import type { BuilderContext } from './builder-context.ts';
import { type KTable, storeBackedTable } from './ktable.ts';
import type { Materialized } from './options.ts';

export class KGroupedTable<K, V> {
  /** Internal: made by `KTable.groupBy`. */
  constructor(
    readonly context: BuilderContext,
    readonly nodeName: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
  ) {}

  private aggregateWith<VA>(
    prefix: string,
    functions: TableAggregateFunctions,
    valueSerde: Serde<VA>,
    materialized: Materialized<K, VA>,
  ): KTable<K, VA> {
    return storeBackedTable(this.context, {
      prefix,
      parent: this.nodeName,
      materialized,
      keySerde: this.context.keySerde(materialized.keySerde, this.keySerde),
      valueSerde,
      supplier: (store) => tableAggregateProcessor(store, functions),
    });
  }

  count(materialized: Materialized<K, number> = {}): KTable<K, number> {
    return this.aggregateWith(
      'table-count',
      {
        add: (_k, _v, old) => ((old as number | undefined) ?? 0) + 1,
        subtract: (_k, _v, old) => ((old as number | undefined) ?? 0) - 1,
      },
      materialized.valueSerde ?? Serdes.number(),
      materialized,
    );
  }

  reduce(
    adder: (aggregate: V, value: V) => V,
    subtractor: (aggregate: V, value: V) => V,
    materialized: Materialized<K, V> = {},
  ): KTable<K, V> {
    return this.aggregateWith(
      'table-reduce',
      {
        add: (_k, v, old) => (old === undefined ? v : adder(old as V, v as V)),
        subtract: (_k, v, old) => (old === undefined ? undefined : subtractor(old as V, v as V)),
      },
      this.context.valueSerde(materialized.valueSerde, this.valueSerde),
      materialized,
    );
  }

  aggregate<VA>(
    initializer: () => VA,
    adder: (key: K, value: V, aggregate: VA) => VA,
    subtractor: (key: K, value: V, aggregate: VA) => VA,
    materialized: Materialized<K, VA> = {},
  ): KTable<K, VA> {
    const current = (old: unknown) => (old === undefined ? initializer() : (old as VA));
    return this.aggregateWith(
      'table-aggregate',
      {
        add: (k, v, old) => adder(k as K, v as V, current(old)),
        subtract: (k, v, old) => subtractor(k as K, v as V, current(old)),
      },
      this.context.valueSerde(materialized.valueSerde),
      materialized,
    );
  }
}
