/**
 * The entry point of the DSL: declare input streams and tables, chain operators, then
 * `build()` a `Topology` to run with `Streams` (or the `TopologyTestDriver`).
 */
import type { Topology } from '../engine/topology.ts';
import { InvalidArgumentError, TopologyError } from '../errors.ts';
import { tableSourceProcessor } from '../processors/table-processors.ts';
import type { Serde } from '../serdes.ts';
import { BuilderContext } from './builder-context.ts';
import { KStream } from './kstream.ts';
import { type KTable, storeBackedTable } from './ktable.ts';
import type { Consumed, Materialized } from './options.ts';
import type { StoreBuilder } from './stores.ts';

export interface StreamsBuilderOptions {
  /** Key serde wherever none is given (default: JSON). */
  readonly defaultKeySerde?: Serde<unknown>;
  /** Value serde wherever none is given (default: JSON). */
  readonly defaultValueSerde?: Serde<unknown>;
}

export class StreamsBuilder {
  private readonly context: BuilderContext;
  private built = false;

  constructor(options: StreamsBuilderOptions = {}) {
    this.context = new BuilderContext(options.defaultKeySerde, options.defaultValueSerde);
  }

  /** A stream of the records of one or more topics (their partitions processed together). */
  stream<K, V>(topics: string | readonly string[], consumed: Consumed<K, V> = {}): KStream<K, V> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    if (list.length === 0) throw new InvalidArgumentError('stream() needs at least one topic');
    const keySerde = this.context.keySerde(consumed.keySerde);
    const valueSerde = this.context.valueSerde(consumed.valueSerde);
    const name = this.context.graph.newName('source');
    this.context.graph.addNode({
      kind: 'source',
      name,
      topics: list.map((topic) => ({ name: topic, internal: false })),
      keySerde: keySerde as Serde<unknown>,
      valueSerde: valueSerde as Serde<unknown>,
    });
    return new KStream<K, V>(this.context, name, keySerde, valueSerde, false);
  }

  /**
   * A table of a topic's latest value per key, kept in a store (a compacted topic is the
   * natural input). A null value deletes the key; records without a key are skipped.
   */
  table<K, V>(
    topic: string,
    consumed: Consumed<K, V> = {},
    materialized: Materialized<K, V> = {},
  ): KTable<K, V> {
    const stream = this.stream<K, V>(topic, consumed);
    const keySerde = this.context.keySerde(materialized.keySerde, consumed.keySerde);
    const valueSerde = this.context.valueSerde(materialized.valueSerde, consumed.valueSerde);
    return storeBackedTable(this.context, {
      prefix: 'table-source',
      parent: stream.nodeName,
      materialized,
      keySerde,
      valueSerde,
      supplier: tableSourceProcessor,
    });
  }

  /** Adds a store for the Processor API; connect it with `stream.process(supplier, name)`. */
  addStateStore(store: StoreBuilder): this {
    this.context.graph.addStore(store.definition());
    return this;
  }

  build(): Topology {
    if (this.built)
      throw new TopologyError('build() was called already; make a new StreamsBuilder');
    this.built = true;
    return this.context.graph.build();
  }
}
